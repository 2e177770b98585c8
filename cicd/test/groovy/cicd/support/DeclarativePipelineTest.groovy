package cicd.support

import com.lesfurets.jenkins.unit.BasePipelineTest
import com.lesfurets.jenkins.unit.MethodCall
import net.sf.json.JSONArray
import net.sf.json.JSONNull
import net.sf.json.JSONObject
import net.sf.json.JSONSerializer

/**
 * Declarative-pipeline support on top of JenkinsPipelineUnit 1.1's BasePipelineTest.
 *
 * Why our own: JenkinsPipelineUnit ships DeclarativePipelineTest only from 1.2 on, and 1.2+ are
 * published to repo.jenkins-ci.org, which this project cannot reach; Maven Central stops at 1.1.
 * This class gives the same shape (extend it, arrange mocks, runScript, assert) for the subset
 * of declarative syntax our Jenkinsfile uses: sections run in Jenkins' order (stages, then post
 * conditions by result), sh is mocked by command fragment, workspace files are a map, and
 * readJSON answers exactly as Pipeline Utility Steps does (json-lib objects, or plain maps and
 * lists with returnPojo: true). Closures run through helper.callClosure, so the same scenarios
 * run CPS-transformed (with every step's locals serialized) when the helper is the CPS one.
 */
abstract class DeclarativePipelineTest extends BasePipelineTest {

    /** Post conditions in the order Declarative evaluates them. */
    static final List<String> POST_ORDER = [
        'always', 'changed', 'fixed', 'regression', 'aborted', 'failure', 'success', 'unstable',
        'unsuccessful', 'cleanup',
    ]

    /** Stage names in the order they started. */
    List<String> stagesRun = []
    /** Post conditions whose block ran. */
    List<String> postRun = []
    /** Message of the exception that stopped the stages, if any. */
    String failureMessage
    /** Files "in the workspace", by relative path. */
    Map<String, String> workspace = [:]
    /** What readJSON returned, in order (to assert the types the Jenkinsfile got). */
    List<Object> readJsonResults = []

    protected final List<Map> shMocks = []
    protected FakeRunWrapper currentBuild = new FakeRunWrapper()
    protected FakeEnvAction env = new FakeEnvAction()

    @Override
    void setUp() throws Exception {
        // Maven runs with cicd/ as the working directory, where the Jenkinsfile lives.
        scriptRoots += '.'
        scriptExtension = ''
        super.setUp()
        env.variables().putAll(JOB_NAME: 'route53-check', BUILD_NUMBER: '42',
            BUILD_URL: 'https://jenkins.example/job/route53-check/42/',
            WORKSPACE: '/agent/workspace/route53-check')
        binding.setVariable('env', env)
        binding.setVariable('currentBuild', currentBuild)
        registerDeclarativeSyntax()
        registerSteps()
    }

    @Override
    void updateBuildStatus(String status) {
        currentBuild.result = status
    }

    /** Make `sh` calls whose script contains {@code fragment} print {@code stdout} and exit {@code status}. */
    void mockSh(String fragment, String stdout = '', int status = 0, Map<String, String> writes = [:]) {
        shMocks.add(0, [fragment: fragment, stdout: stdout, status: status, writes: writes])
    }

    /** The calls to {@code name}, in order. */
    List<MethodCall> calls(String name) {
        return helper.callStack.findAll { MethodCall call -> call.methodName == name }
    }

    /** The single map or string argument of each call to {@code name}. */
    List<Object> args(String name) {
        return calls(name).collect { MethodCall call -> call.args[0] }
    }

    List<String> echoed() {
        return args('echo').collect { it.toString() }
    }

    String getDescription() {
        return currentBuild.description
    }

    protected Object run(Closure body) {
        return helper.callClosure(body)
    }

    protected void registerDeclarativeSyntax() {
        helper.registerAllowedMethod('pipeline', [Closure]) { Closure body -> runPipeline(body) }
        ['agent', 'triggers', 'options', 'steps', 'script'].each { String section ->
            helper.registerAllowedMethod(section, [Closure]) { Closure body -> run(body) }
        }
        helper.registerAllowedMethod('label', [String], null)
        helper.registerAllowedMethod('cron', [String], null)
        helper.registerAllowedMethod('timeout', [Map], null)
        helper.registerAllowedMethod('disableConcurrentBuilds', [], null)
        helper.registerAllowedMethod('buildDiscarder', [Object], null)
        helper.registerAllowedMethod('logRotator', [Map]) { Map config -> [logRotator: config] }
        helper.registerAllowedMethod('timestamps', [], null)
        helper.registerAllowedMethod('environment', [Closure]) { Closure body ->
            body.resolveStrategy = Closure.DELEGATE_FIRST
            body.delegate = env
            run(body)
        }
        helper.registerAllowedMethod('stage', [String, Closure]) { String name, Closure body ->
            stagesRun << name
            run(body)
        }
        POST_ORDER.each { String condition ->
            helper.registerAllowedMethod(condition, [Closure]) { Closure body -> pendingPost[condition] = body }
        }
    }

    protected Map<String, Closure> pendingPost = [:]
    protected Closure stagesBody
    protected Closure postBody

    protected void runPipeline(Closure body) {
        stagesBody = null
        postBody = null
        helper.registerAllowedMethod('stages', [Closure]) { Closure stages -> stagesBody = stages }
        helper.registerAllowedMethod('post', [Closure]) { Closure post -> postBody = post }
        run(body)
        try {
            if (stagesBody != null) {
                run(stagesBody)
            }
        } catch (PipelineError e) {
            failureMessage = e.message
            updateBuildStatus('FAILURE')
        }
        runPost()
    }

    protected void runPost() {
        if (postBody == null) {
            return
        }
        pendingPost = [:]
        run(postBody)
        String result = currentBuild.result
        String previous = currentBuild.previousBuild?.result
        boolean previousBad = previous in ['FAILURE', 'UNSTABLE']
        Map<String, Boolean> applies = [
            always: true, failure: result == 'FAILURE', success: result == 'SUCCESS',
            unstable: result == 'UNSTABLE', unsuccessful: result != 'SUCCESS', cleanup: true,
            aborted: result == 'ABORTED', changed: previous != null && previous != result,
            // Declarative: fixed = this run successful, the previous one failed or unstable.
            fixed: result == 'SUCCESS' && previousBad,
            regression: previous == 'SUCCESS' && result in ['FAILURE', 'UNSTABLE', 'ABORTED'],
        ]
        POST_ORDER.each { String condition ->
            if (pendingPost[condition] && applies[condition]) {
                postRun << condition
                run(pendingPost[condition])
            }
        }
    }

    protected void registerSteps() {
        helper.registerAllowedMethod('echo', [String], null)
        helper.registerAllowedMethod('error', [String]) { String message -> throw new PipelineError(message) }
        helper.registerAllowedMethod('sh', [String]) { String script -> runSh([script: script]) }
        helper.registerAllowedMethod('sh', [Map]) { Map config -> runSh(config) }
        helper.registerAllowedMethod('readFile', [Map]) { Map config -> readWorkspace(config.file as String) }
        helper.registerAllowedMethod('readFile', [String]) { String file -> readWorkspace(file) }
        helper.registerAllowedMethod('readJSON', [Map]) { Map config -> readJson(config) }
        helper.registerAllowedMethod('archiveArtifacts', [Map], null)
        helper.registerAllowedMethod('mail', [Map]) { Map config ->
            if (mailFails) {
                throw new IOException('Could not connect to SMTP host: localhost, port: 25')
            }
        }
        helper.registerAllowedMethod('catchError', [Map, Closure]) { Map config, Closure body ->
            try {
                return run(body)
            } catch (Exception e) {
                // workflow-basic-steps CatchErrorStep: log the message, result only gets worse.
                helper.registerMethodCall(this, 0, 'echo', [config.message ?: e.message] as Object[])
                if (config.buildResult && config.buildResult != 'SUCCESS') {
                    updateBuildStatus(config.buildResult as String)
                }
                return null
            }
        }
    }

    /** Set to make the mail step throw, as it does when no SMTP server answers. */
    boolean mailFails = false

    /** Pipeline Utility Steps' ReadJSONStepExecution: JSONSerializer.toJSON(text.trim()). */
    protected Object readJson(Map config) {
        String text = config.containsKey('text') ? config.text : readWorkspace(config.file as String)
        Object json = JSONSerializer.toJSON(text.trim())
        Object result = config.returnPojo ? toPojo(json) : json
        readJsonResults << result
        return result
    }

    /** ReadJSONStepExecution.transformToJavaLangStructures: LinkedHashMap, ArrayList, null. */
    protected static Object toPojo(Object json) {
        if (json == null || json instanceof JSONNull) {
            return null
        }
        if (json instanceof JSONArray) {
            return new ArrayList(json.collect { toPojo(it) })
        }
        if (json instanceof JSONObject) {
            Map out = new LinkedHashMap()
            json.each { k, v -> out[k] = toPojo(v) }
            return out
        }
        return json
    }

    protected String readWorkspace(String file) {
        if (!workspace.containsKey(file)) {
            throw new PipelineError("${file} does not exist.")
        }
        return workspace[file]
    }

    protected Object runSh(Map config) {
        String script = config.script
        Map mock = shMocks.find { Map m -> script.contains(m.fragment as String) }
        if (mock == null) {
            throw new IllegalStateException("no sh mock for: ${script}")
        }
        workspace.putAll(mock.writes as Map<String, String>)
        if (config.returnStatus) {
            return mock.status
        }
        if (mock.status != 0) {
            throw new PipelineError("script returned exit code ${mock.status}")
        }
        return config.returnStdout ? mock.stdout : null
    }

    /** What the error step (and a failing sh) throw: stops the stages, marks the build FAILURE. */
    static class PipelineError extends RuntimeException {
        PipelineError(String message) {
            super(message)
        }
    }
}
