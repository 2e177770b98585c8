package cicd.support

/**
 * Stands in for {@code currentBuild}: the properties of workflow-support's RunWrapper that the
 * Jenkinsfile may touch. A class, not a Map, so the sandbox check sees setDescription/getResult
 * calls exactly as script-security would (and a Map's put/get would not be the real signature).
 */
class FakeRunWrapper implements Serializable {

    static final String REAL_CLASS = 'org.jenkinsci.plugins.workflow.support.steps.build.RunWrapper'

    String result = 'SUCCESS'
    String description
    int number = 42
    FakeRunWrapper previousBuild

    String getCurrentResult() {
        return result ?: 'SUCCESS'
    }
}
