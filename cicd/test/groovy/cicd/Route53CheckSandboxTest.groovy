package cicd

import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertTrue
import static org.junit.Assert.fail

import cicd.support.FakeRunWrapper
import cicd.support.SandboxAllowlist
import cicd.support.SandboxPipelineTestHelper
import org.junit.After
import org.junit.Test

/**
 * The scenarios with the Jenkinsfile compiled by groovy-sandbox and every call checked against
 * cicd/sandbox-allowlist.txt: a call outside it fails the scenario, as a RejectedAccessException
 * (or a pending script approval) would fail the build in Jenkins.
 */
class Route53CheckSandboxTest extends Route53CheckScenarios {

    static final File ALLOWLIST = new File('sandbox-allowlist.txt')

    final SandboxAllowlist allowlist = SandboxAllowlist.load(ALLOWLIST)

    Route53CheckSandboxTest() {
        helper = new SandboxPipelineTestHelper(allowlist)
    }

    @After
    void nothingWasRejected() {
        assertEquals([], allowlist.rejected)
        assertTrue('the sandbox check saw no calls at all', allowlist.used.size() > 10)
    }

    @Test
    void json_lib_objects_from_readJSON_are_rejected_where_plain_lists_are_not() {
        checkerGives('pass')
        try {
            runScript(jenkinsfileWithoutReturnPojo())
            fail('JSONArray.join passed the sandbox check')
        } catch (SecurityException e) {
            assertEquals('Scripts not permitted to use method net.sf.json.JSONArray join java.lang.String',
                e.message)
        }
        allowlist.rejected.clear()
    }

    @Test
    void every_allowlist_entry_cites_its_source() {
        List<String> entries = ALLOWLIST.readLines().findAll { it.trim() && !it.startsWith('#') }
        assertTrue(entries.size() > 10)
        entries.each { String line ->
            assertTrue(line, (line =~ /# (jenkinsci\/\S+ \S+ @[0-9a-f]{40}|jenkinsci\/\S+ \S+@[0-9a-f]{40})/).find())
        }
        checkerGives('pass')
        runScript(JENKINSFILE)
    }

    @Test
    void every_allowlist_entry_is_needed() {
        // A recovery (fixed) and a failure between them touch every path of the Jenkinsfile.
        currentBuild.previousBuild = new FakeRunWrapper(result: 'FAILURE', number: 41)
        checkerGives('pass')
        runScript(JENKINSFILE)
        currentBuild.result = 'SUCCESS'
        currentBuild.previousBuild = new FakeRunWrapper(result: 'SUCCESS', number: 42)
        checkerGives('records_wrong')
        runScript(JENKINSFILE)

        Set<String> listed = allowlist.signatures + allowlist.steps.collect { "step ${it}".toString() } +
            allowlist.globals.collect { "global ${it}".toString() }
        assertEquals('allowlist entries nothing uses', [], (listed - allowlist.used).sort())
    }
}
