// Job DSL: creates the Route 53 check job. Loaded by Configuration as Code (cicd/jenkins/jenkins.yaml,
// `jobs: - file:`) or by a seed job's "Process Job DSLs" step; re-running it updates the job.
// Needs the job-dsl, workflow-aggregator and git plugins. Set `repository` to this repository.

String repository = 'https://github.com/example/sre-monorepo.git'

pipelineJob('route53-check') {
    description('Route 53 weighted-record check for barstoolsportsbook.com, every 30 minutes. ' +
        'Defined in cicd/Jenkinsfile; see cicd/README.md.')
    properties {
        pipelineTriggers {
            triggers {
                // The same schedule the Jenkinsfile declares, so the job runs before its first manual
                // build (Declarative registers its triggers only once a build has read them).
                cron {
                    spec('H/30 * * * *')
                }
            }
        }
    }
    definition {
        cpsScm {
            scm {
                git {
                    remote {
                        url(repository)
                    }
                    branch('*/main')
                }
            }
            scriptPath('cicd/Jenkinsfile')
            lightweight(true)
        }
    }
}
