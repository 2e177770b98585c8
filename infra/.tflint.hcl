# tflint for every root and module (`tflint --recursive --config $(pwd)/.tflint.hcl`).
# Offline on purpose: the bundled terraform ruleset only. tflint-ruleset-aws cannot be fetched
# here (the Go module proxy answers 403 for it), so AWS-specific checks come from checkov.
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}
