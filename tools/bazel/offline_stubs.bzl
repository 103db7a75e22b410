# Copyright 2026 The mqsentry Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""Stand-ins for repositories Bazel 4.2.3 would fetch from the internet.

Every test rule has an implicit dependency on
@remote_coverage_tools//:coverage_report_generator and :lcov_merger (used only
by `bazel coverage`), and Bazel's default WORKSPACE fetches that repository
from mirror.bazel.build. Debian ships no package for it, so this provides the
two targets as scripts that fail: `bazel test` works, `bazel coverage` does
not.
"""

_FAIL = """#!/bin/sh
echo "bazel coverage is not available: remote_coverage_tools is not packaged in Debian (see tools/bazel/offline_stubs.bzl)" >&2
exit 1
"""

_BUILD = """package(default_visibility = ["//visibility:public"])

sh_binary(
    name = "coverage_report_generator",
    srcs = ["unavailable.sh"],
)

sh_binary(
    name = "lcov_merger",
    srcs = ["unavailable.sh"],
)
"""

def _stub_coverage_tools_impl(rctx):
    rctx.file("unavailable.sh", _FAIL, executable = True)
    rctx.file("BUILD.bazel", _BUILD, executable = False)
    rctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % rctx.name, executable = False)

stub_coverage_tools = repository_rule(implementation = _stub_coverage_tools_impl)
