package cicd

import static org.junit.Assert.assertTrue

import com.lesfurets.jenkins.unit.cps.PipelineTestHelperCPS
import net.sf.json.JSONObject
import org.junit.Test

/**
 * The scenarios with the Jenkinsfile CPS-transformed by groovy-cps, as workflow-cps runs it:
 * closures run as continuations and every step's environment (locals, the script, the binding)
 * is serialized and read back, as Jenkins does to survive a restart.
 */
class Route53CheckCpsTest extends Route53CheckScenarios {

    Route53CheckCpsTest() {
        helper = new PipelineTestHelperCPS()
    }

    @Test
    void without_returnPojo_json_lib_join_quotes_every_value() {
        // Even where the sandbox would allow it, JSONArray.join is not Groovy's join.
        checkerGives('pass')
        runScript(jenkinsfileWithoutReturnPojo())

        assertTrue(readJsonResults[0] instanceof JSONObject)
        assertTrue(echoed().toString(), echoed().contains(
            'ACTIVE record:   blue (barstoolsportsbook.com A, weight 100) -> "192.0.2.10", "192.0.2.11"'))
    }
}
