package cicd.support

/**
 * Stands in for {@code env}: workflow-cps' EnvActionImpl, a GroovyObject whose getProperty and
 * setProperty the sandbox allows (CpsWhitelist). Unset variables read as null, as in Jenkins.
 */
class FakeEnvAction extends GroovyObjectSupport implements Serializable {

    static final String REAL_CLASS = 'org.jenkinsci.plugins.workflow.cps.EnvActionImpl'

    private final Map<String, String> vars = [:]

    /** The variables themselves (env.vars would be the variable "vars": getProperty is ours). */
    Map<String, String> variables() {
        return vars
    }

    @Override
    Object getProperty(String name) {
        return vars[name]
    }

    @Override
    void setProperty(String name, Object value) {
        vars[name] = value == null ? null : value.toString()
    }
}
