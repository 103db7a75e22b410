#!/usr/bin/env bash
# Installs Debian's Bazel and the rule sets //:WORKSPACE uses, as root, when
# missing (for `make bazel-test`; the Gazelle check needs only Go).
exec "$(dirname "$0")/../install-deps.sh" bazel-bootstrap bazel-rules-cc bazel-rules-java
