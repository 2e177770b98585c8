package cicd.support

import com.lesfurets.jenkins.unit.BasePipelineTest
import com.lesfurets.jenkins.unit.MethodCall
import groovy.json.JsonSlurper

/**
 * Declarative-pipeline support on top of JenkinsPipelineUnit 1.1's BasePipelineTest.
 *
 * Why our own: JenkinsPipelineUnit ships DeclarativePipelineTest only from 1.2 on, and 1.2+ are
 * published to repo.jenkins-ci.org, which this project cannot reach; Maven Central stops at 1.1.
 * This class gives the same shape (extend it, arrange mocks, runScript, assert) for the subset
 * of declarative syntax our Jenkinsfile uses: sections run in Jenkins' order (stages, then post
 * conditions by result), sh is mocked by command fragment, and workspace files are a map.
 */
abstract class DeclarativePipelineTest extends BasePipelineTest {

    /** Post conditions in the order Jenkins evaluates them. */
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

    protected final List<Map> shMocks = []

    @Override
    void setUp() throws Exception {
        // Maven runs with cicd/ as the working directory, where the Jenkinsfile lives.
        scriptRoots += '.'
        scriptExtension = ''
        super.setUp()
        binding.setVariable('env', [
            JOB_NAME: 'route53-check', BUILD_NUMBER: '42', WORKSPACE: '/agent/workspace/route53-check',
        ])
        binding.setVariable('currentBuild', [result: 'SUCCESS', currentResult: 'SUCCESS', description: null])
        registerDeclarativeSyntax()
        registerSteps()
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
        return binding.getVariable('currentBuild').description
    }

    protected void registerDeclarativeSyntax() {
        helper.registerAllowedMethod('pipeline', [Closure]) { Closure body -> runPipeline(body) }
        ['agent', 'triggers', 'options', 'steps', 'script'].each { String section ->
            helper.registerAllowedMethod(section, [Closure]) { Closure body -> body.call() }
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
            body.delegate = binding.getVariable('env')
            body.call()
        }
        helper.registerAllowedMethod('stage', [String, Closure]) { String name, Closure body ->
            stagesRun << name
            body.call()
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
        body.call()
        try {
            stagesBody?.call()
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
        postBody.call()
        String result = binding.getVariable('currentBuild').result
        Map<String, Boolean> applies = [
            always: true, failure: result == 'FAILURE', success: result == 'SUCCESS',
            unstable: result == 'UNSTABLE', unsuccessful: result != 'SUCCESS', cleanup: true,
            aborted: result == 'ABORTED',
        ]
        POST_ORDER.each { String condition ->
            if (pendingPost[condition] && applies[condition]) {
                postRun << condition
                pendingPost[condition].call()
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
        helper.registerAllowedMethod('readJSON', [Map]) { Map config ->
            String text = config.containsKey('text') ? config.text : readWorkspace(config.file as String)
            return new JsonSlurper().parseText(text)
        }
        helper.registerAllowedMethod('archiveArtifacts', [Map], null)
    }

    protected String readWorkspace(String file) {
        if (!workspace.containsKey(file)) {
            throw new FileNotFoundException(file)
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
