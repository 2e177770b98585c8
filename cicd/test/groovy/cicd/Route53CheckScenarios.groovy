package cicd

import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertFalse
import static org.junit.Assert.assertNull
import static org.junit.Assert.assertTrue

import cicd.support.DeclarativePipelineTest
import cicd.support.FakeRunWrapper
import com.lesfurets.jenkins.unit.MethodCall
import org.junit.Before
import org.junit.Test

/**
 * Every scenario of the Jenkinsfile, fed with the JSON and exit status the Python checker itself
 * produced against moto (tests/cicd/contract.py writes them to -Dcontract.dir). Run twice: by
 * {@link Route53CheckCpsTest} (CPS-transformed, locals serialized at every step) and by
 * {@link Route53CheckSandboxTest} (every call checked against cicd/sandbox-allowlist.txt).
 */
abstract class Route53CheckScenarios extends DeclarativePipelineTest {

    static final String JENKINSFILE = 'Jenkinsfile'
    static final String VENV_PYTHON = '/home/jenkins/.cache/route53-check/venv-0123abcd/bin/python'

    /** One case of the checker's contract: its exit status and the JSON it printed. */
    static Map<String, Object> contract(String name) {
        String dir = System.getProperty('contract.dir')
        File json = new File(dir ?: 'target/contract', "${name}.json")
        File rc = new File(dir ?: 'target/contract', "${name}.rc")
        if (!json.isFile() || !rc.isFile()) {
            throw new IllegalStateException("missing checker contract ${json}: run `make -C cicd contract` " +
                '(tests/cicd/contract.py runs the checker against moto and writes it)')
        }
        return [json: json.text, rc: rc.text.trim() as int]
    }

    @Override
    @Before
    void setUp() throws Exception {
        super.setUp()
        mockSh('hostname', 'agent-7.eu-west-1.compute.internal\n')
        mockSh('node-ip.sh', '10.0.3.17\n')
        mockSh('prepare-venv.sh', "${VENV_PYTHON}\n")
    }

    protected void checkerExits(int status, String json) {
        mockSh('route53_check.py', '', status, ['route53-check.json': json])
    }

    protected void checkerGives(String contractCase) {
        Map<String, Object> c = contract(contractCase)
        checkerExits(c.rc as int, c.json as String)
    }

    /** The Jenkinsfile as it was before issue 17: readJSON without returnPojo (a probe copy). */
    protected String jenkinsfileWithoutReturnPojo() {
        String text = new File(JENKINSFILE).text
        String changed = text.replace('readJSON(text: raw, returnPojo: true)', 'readJSON(text: raw)')
        assertTrue('the Jenkinsfile no longer calls readJSON the expected way', changed != text)
        File copy = new File("target/probe-${getClass().simpleName}/JenkinsfileWithoutReturnPojo")
        copy.parentFile.mkdirs()
        copy.text = changed
        return copy.path
    }

    protected Map shCall(String fragment) {
        return args('sh').find { it instanceof Map && it.script.contains(fragment) } as Map
    }

    protected List<Map> mails() {
        return args('mail') as List<Map>
    }

    @Test
    void jenkinsfile_declares_cron_every_30_minutes_and_options() {
        checkerGives('pass')
        runScript(JENKINSFILE)

        assertEquals(['H/30 * * * *'], args('cron'))
        assertEquals([[time: 10, unit: 'MINUTES']], args('timeout'))
        assertEquals(1, calls('disableConcurrentBuilds').size())
        assertEquals(1, calls('timestamps').size())
        assertEquals([[logRotator: [numToKeepStr: '500', daysToKeepStr: '14']]], args('buildDiscarder'))
        assertEquals(['route53-check'], args('label'))
    }

    @Test
    void stages_run_in_order() {
        checkerGives('pass')
        runScript(JENKINSFILE)

        assertEquals(['Worker node', 'Prepare checker', 'Check Route 53'], stagesRun)
    }

    @Test
    void worker_node_stage_prints_hostname_and_ip_computed_with_sh_on_the_agent() {
        checkerGives('pass')
        runScript(JENKINSFILE)

        Map hostname = shCall('hostname')
        Map ip = shCall('node-ip.sh')
        assertTrue(hostname.returnStdout as boolean)
        assertTrue(ip.returnStdout as boolean)
        assertTrue(echoed().contains('Worker node: agent-7.eu-west-1.compute.internal (IP 10.0.3.17)'))

        // Both sh calls happen inside the first stage, i.e. on the agent the pipeline runs on.
        List<MethodCall> stack = helper.callStack
        int firstStage = stack.findIndexOf { it.methodName == 'stage' && it.args[0] == 'Worker node' }
        int secondStage = stack.findIndexOf { it.methodName == 'stage' && it.args[0] == 'Prepare checker' }
        int hostnameCall = stack.findIndexOf { it.methodName == 'sh' && it.args[0] instanceof Map && it.args[0].script == hostname.script }
        int ipCall = stack.findIndexOf { it.methodName == 'sh' && it.args[0] instanceof Map && it.args[0].script == ip.script }
        assertTrue("stages at ${firstStage}/${secondStage}, sh at ${hostnameCall}/${ipCall}",
            firstStage >= 0 && firstStage < hostnameCall && hostnameCall < ipCall && ipCall < secondStage)
        String code = new File(JENKINSFILE).readLines().findAll { !it.trim().startsWith('//') }.join('\n')
        assertFalse(code.contains('InetAddress'))
        assertFalse(code.contains('getLocalHost'))
    }

    @Test
    void checker_runs_with_the_prepared_venv_json_and_heartbeat() {
        checkerGives('pass')
        runScript(JENKINSFILE)

        assertEquals('cicd/requirements.txt', shCall('prepare-venv.sh').script.tokenize(' ').last())
        assertEquals(VENV_PYTHON, env.variables().CHECKER_PYTHON)
        Map check = shCall('route53_check.py')
        assertTrue(check.returnStatus as boolean)
        assertEquals('"$CHECKER_PYTHON" cicd/route53_check.py --zone "$ZONE" --json --heartbeat > "$CHECK_OUTPUT"',
            check.script)
        assertEquals('barstoolsportsbook.com', env.variables().ZONE)
    }

    @Test
    void checker_pass_succeeds_and_prints_active_and_inactive() {
        checkerGives('pass')
        runScript(JENKINSFILE)

        assertJobStatusSuccess()
        assertTrue(echoed().toString(), echoed().contains(
            'ACTIVE record:   blue (barstoolsportsbook.com A, weight 100) -> 192.0.2.10, 192.0.2.11'))
        assertTrue(echoed().contains(
            'INACTIVE record: green (barstoolsportsbook.com A, weight 0) -> 192.0.2.20'))
        assertEquals('active: blue, inactive: green', description)
        assertEquals(['always'], postRun)
        assertNull(failureMessage)
        assertEquals([], mails())
        // returnPojo: the Jenkinsfile got plain Java maps and lists, not json-lib objects.
        assertEquals(LinkedHashMap, readJsonResults[0].getClass())
        assertEquals(ArrayList, readJsonResults[0].active.values.getClass())
    }

    @Test
    void checker_records_wrong_fails_the_build_as_check_failed() {
        checkerGives('records_wrong')
        runScript(JENKINSFILE)

        assertJobStatusFailure()
        assertEquals('Route 53 check FAILED (records not as required): weights are 50/50; expected one at ' +
            '100 and one at 0: barstoolsportsbook.com A blue=50, barstoolsportsbook.com A green=50', failureMessage)
        assertEquals('CHECK FAILED: records not as required', description)
        assertFalse(echoed().any { it.startsWith('ACTIVE') })
    }

    @Test
    void checker_could_not_check_fails_the_build_as_could_not_check() {
        checkerGives('could_not_check')
        runScript(JENKINSFILE)

        assertJobStatusFailure()
        assertEquals('Route 53 could NOT be checked (exit 2): ' +
            'could not check: public hosted zone barstoolsportsbook.com not found', failureMessage)
        assertEquals('COULD NOT CHECK (exit 2)', description)
    }

    @Test
    void checker_on_a_python_without_boto3_is_could_not_check() {
        checkerGives('no_boto3')
        runScript(JENKINSFILE)

        assertJobStatusFailure()
        assertTrue(failureMessage, failureMessage.startsWith(
            'Route 53 could NOT be checked (exit 2): could not check: cannot import boto3 with '))
    }

    @Test
    void python_dying_with_its_own_exit_1_is_not_records_wrong() {
        // An interpreter crash (traceback, exit 1) prints no JSON: not a verdict on the records.
        checkerExits(1, '')
        runScript(JENKINSFILE)

        assertJobStatusFailure()
        assertEquals('Route 53 could NOT be checked (exit 1): the checker exited 1 without a verdict',
            failureMessage)
        assertEquals('COULD NOT CHECK (exit 1)', description)
    }

    @Test
    void exit_0_without_a_pass_verdict_is_could_not_check() {
        checkerExits(0, contract('records_wrong').json as String)
        runScript(JENKINSFILE)

        assertJobStatusFailure()
        assertTrue(failureMessage, failureMessage.startsWith('Route 53 could NOT be checked (exit 0): '))
    }

    @Test
    void failure_notifies_once_through_the_notification_step() {
        checkerGives('records_wrong')
        runScript(JENKINSFILE)

        assertEquals(['always', 'failure'], postRun)
        assertEquals(1, mails().size())
        assertEquals('sre-oncall@example.com', mails()[0].to)
        assertEquals('route53-check FAILED: route53-check #42', mails()[0].subject)
        assertTrue(mails()[0].body.toString().startsWith('CHECK FAILED: records not as required'))
        assertEquals([[artifacts: 'route53-check.json', allowEmptyArchive: true]], args('archiveArtifacts'))
    }

    @Test
    void recovery_after_a_failed_build_notifies_recovered() {
        currentBuild.previousBuild = new FakeRunWrapper(result: 'FAILURE', number: 41)
        checkerGives('pass')
        runScript(JENKINSFILE)

        assertJobStatusSuccess()
        assertEquals(['always', 'fixed'], postRun)
        assertEquals(['route53-check RECOVERED: route53-check #42'], mails()*.subject)
    }

    @Test
    void success_after_success_sends_nothing() {
        currentBuild.previousBuild = new FakeRunWrapper(result: 'SUCCESS', number: 41)
        checkerGives('pass')
        runScript(JENKINSFILE)

        assertEquals(['always'], postRun)
        assertEquals([], mails())
    }

    @Test
    void a_mail_outage_does_not_turn_a_recovered_build_red() {
        currentBuild.previousBuild = new FakeRunWrapper(result: 'FAILURE', number: 41)
        mailFails = true
        checkerGives('pass')
        runScript(JENKINSFILE)

        assertJobStatusSuccess()
        assertTrue(echoed().contains('notification not sent'))
    }

    @Test
    void failed_venv_preparation_stops_before_the_check_and_notifies() {
        mockSh('prepare-venv.sh', '', 1)
        checkerGives('pass')
        runScript(JENKINSFILE)

        assertJobStatusFailure()
        assertEquals(['Worker node', 'Prepare checker'], stagesRun)
        assertEquals(['always', 'failure'], postRun)
        assertTrue(mails()[0].body.toString().startsWith('the build failed before the check; see the log'))
    }
}
