package cicd

import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertFalse
import static org.junit.Assert.assertNull
import static org.junit.Assert.assertTrue

import cicd.support.DeclarativePipelineTest
import com.lesfurets.jenkins.unit.MethodCall
import groovy.json.JsonOutput
import org.junit.Before
import org.junit.Test

class Route53CheckJenkinsfileTest extends DeclarativePipelineTest {

    static final String JENKINSFILE = 'Jenkinsfile'
    static final String VENV_PYTHON = '/home/jenkins/.cache/route53-check/venv-0123abcd/bin/python'

    static final Map ACTIVE = [name: 'www.barstoolsportsbook.com', type: 'A', set_identifier: 'blue',
                               weight: 100, values: ['192.0.2.1']]
    static final Map INACTIVE = [name: 'www.barstoolsportsbook.com', type: 'A', set_identifier: 'green',
                                 weight: 0, values: ['192.0.2.2', '192.0.2.3']]

    @Override
    @Before
    void setUp() throws Exception {
        super.setUp()
        mockSh('hostname', 'agent-7.eu-west-1.compute.internal\n')
        mockSh('node-ip.sh', '10.0.3.17\n')
        mockSh('prepare-venv.sh', "${VENV_PYTHON}\n")
    }

    private void checkerExits(int status, Map output) {
        String json = output == null ? '' : JsonOutput.toJson(output) + '\n'
        mockSh('route53_check.py', '', status, ['route53-check.json': json])
    }

    private void checkerPasses() {
        checkerExits(0, [zone: 'barstoolsportsbook.com', zone_id: 'Z0123', active: ACTIVE, inactive: INACTIVE])
    }

    private Map shCall(String fragment) {
        return args('sh').find { it instanceof Map && it.script.contains(fragment) } as Map
    }

    @Test
    void jenkinsfile_declares_cron_every_30_minutes_and_options() {
        checkerPasses()
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
        checkerPasses()
        runScript(JENKINSFILE)

        assertEquals(['Worker node', 'Prepare checker', 'Check Route 53'], stagesRun)
    }

    @Test
    void worker_node_stage_prints_hostname_and_ip_computed_with_sh_on_the_agent() {
        checkerPasses()
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
        // No controller-side lookups sneak in.
        String code = new File(JENKINSFILE).readLines().findAll { !it.trim().startsWith('//') }.join('\n')
        assertFalse(code.contains('InetAddress'))
        assertFalse(code.contains('getLocalHost'))
    }

    @Test
    void checker_runs_with_the_prepared_venv_and_json_output() {
        checkerPasses()
        runScript(JENKINSFILE)

        assertEquals('cicd/requirements.txt', shCall('prepare-venv.sh').script.tokenize(' ').last())
        assertEquals(VENV_PYTHON, binding.getVariable('env').CHECKER_PYTHON)
        Map check = shCall('route53_check.py')
        assertTrue(check.returnStatus as boolean)
        assertTrue(check.script.startsWith('"$CHECKER_PYTHON" cicd/route53_check.py --zone "$ZONE" --json'))
        assertEquals('barstoolsportsbook.com', binding.getVariable('env').ZONE)
    }

    @Test
    void checker_exit_0_succeeds_and_prints_active_and_inactive() {
        checkerPasses()
        runScript(JENKINSFILE)
        printCallStack()

        assertJobStatusSuccess()
        assertTrue(echoed().contains(
            'ACTIVE record:   blue (www.barstoolsportsbook.com A, weight 100) -> 192.0.2.1'))
        assertTrue(echoed().contains(
            'INACTIVE record: green (www.barstoolsportsbook.com A, weight 0) -> 192.0.2.2, 192.0.2.3'))
        assertEquals('active: blue, inactive: green', description)
        assertEquals(['always'], postRun)
        assertNull(failureMessage)
        assertFalse(echoed().any { it.startsWith('NOTIFY') })
    }

    @Test
    void checker_exit_1_fails_the_build_as_check_failed() {
        checkerExits(1, [error: 'weights are 50/50; expected one at 100 and one at 0', records: [ACTIVE, INACTIVE]])
        runScript(JENKINSFILE)

        assertJobStatusFailure()
        assertEquals('Route 53 check FAILED (records not as required): ' +
            'weights are 50/50; expected one at 100 and one at 0', failureMessage)
        assertEquals('CHECK FAILED: records not as required', description)
        assertFalse(echoed().any { it.startsWith('ACTIVE') })
    }

    @Test
    void checker_exit_2_fails_the_build_as_could_not_check() {
        checkerExits(2, [error: 'could not check: access denied while trying to list hosted zones', records: []])
        runScript(JENKINSFILE)

        assertJobStatusFailure()
        assertEquals('Route 53 could NOT be checked (exit 2): ' +
            'could not check: access denied while trying to list hosted zones', failureMessage)
        assertEquals('COULD NOT CHECK (exit 2)', description)
    }

    @Test
    void checker_that_prints_nothing_is_could_not_check() {
        checkerExits(127, null)
        runScript(JENKINSFILE)

        assertJobStatusFailure()
        assertEquals('Route 53 could NOT be checked (exit 127): the checker printed nothing (exit 127)',
            failureMessage)
    }

    @Test
    void post_failure_hook_runs_on_failure_only() {
        checkerExits(1, [error: 'both records have weight 0 (none active)', records: []])
        runScript(JENKINSFILE)

        assertEquals(['always', 'failure'], postRun)
        assertTrue(echoed().contains(
            'NOTIFY: route53-check #42 failed: CHECK FAILED: records not as required'))
        assertEquals([[artifacts: 'route53-check.json', allowEmptyArchive: true]], args('archiveArtifacts'))
    }

    @Test
    void failed_venv_preparation_stops_before_the_check() {
        mockSh('prepare-venv.sh', '', 1)
        checkerPasses()
        runScript(JENKINSFILE)

        assertJobStatusFailure()
        assertEquals(['Worker node', 'Prepare checker'], stagesRun)
        assertTrue(postRun.contains('failure'))
    }
}
