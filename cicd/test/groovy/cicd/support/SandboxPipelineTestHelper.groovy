package cicd.support

import com.lesfurets.jenkins.unit.PipelineTestHelper
import org.kohsuke.groovy.sandbox.SandboxTransformer

/**
 * JenkinsPipelineUnit's helper with the Jenkinsfile compiled through groovy-sandbox's
 * SandboxTransformer (as script-security compiles sandboxed scripts), so every call, property
 * access and constructor in it passes the {@link SandboxAllowlist} while the script runs.
 */
class SandboxPipelineTestHelper extends PipelineTestHelper {

    final SandboxAllowlist allowlist

    SandboxPipelineTestHelper(SandboxAllowlist allowlist) {
        this.allowlist = allowlist
    }

    @Override
    SandboxPipelineTestHelper init() {
        super.init()
        gse.config.addCompilationCustomizers(new SandboxTransformer())
        return this
    }

    @Override
    protected Object runScriptInternal(Script script) {
        allowlist.scriptClass = script.getClass()
        allowlist.register()
        try {
            return super.runScriptInternal(script)
        } finally {
            allowlist.unregister()
        }
    }
}
