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

"""rules_cc from Debian's bazel-rules-cc, made loadable by Debian's Bazel 4.2.3.

Bazel 4.2.3's own C++ toolchain (@bazel_tools//tools/cpp, @local_config_cc)
loads @rules_cc//cc:defs.bzl, and its default WORKSPACE fetches rules_cc from
GitHub, which is not reachable here. Debian's bazel-rules-cc (0.0.4, in
/usr/share/bazel/rules/cc) is newer than that Bazel: two of its files load
use_cpp_toolchain from @bazel_tools//tools/cpp:toolchain_utils.bzl, which
Bazel 4.2.3 does not have (it appeared in Bazel 5). This repository rule
copies the Debian tree and defines use_cpp_toolchain locally (as Bazel 5's
does without optional toolchains: a list with the C++ toolchain type).
"""

_NEEDS_USE_CPP_TOOLCHAIN = [
    "cc/private/rules_impl/cc_flags_supplier.bzl",
    "cc/private/rules_impl/compiler_flag.bzl",
]

_OLD_LOAD = 'load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain", "use_cpp_toolchain")'
_NEW_LOAD = """load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain")
load("//cc/private/rules_impl:use_cpp_toolchain_compat.bzl", "use_cpp_toolchain")"""

_COMPAT = """# Added by mqsentry's tools/bazel/debian_rules_cc.bzl: Bazel 4.2.3's
# @bazel_tools//tools/cpp:toolchain_utils.bzl has no use_cpp_toolchain.
def use_cpp_toolchain(mandatory = True):
    return ["@bazel_tools//tools/cpp:toolchain_type"]
"""

def _debian_rules_cc_impl(rctx):
    src = rctx.attr.path
    if not rctx.path(src + "/cc/defs.bzl").exists:
        fail("%s/cc/defs.bzl not found: apt-get install bazel-rules-cc" % src)
    res = rctx.execute(["cp", "-R", src + "/.", "."])
    if res.return_code != 0:
        fail("copying %s: %s" % (src, res.stderr))
    rctx.file("cc/private/rules_impl/use_cpp_toolchain_compat.bzl", _COMPAT, executable = False)
    for f in _NEEDS_USE_CPP_TOOLCHAIN:
        text = rctx.read(f)
        if _OLD_LOAD in text:
            rctx.file(f, text.replace(_OLD_LOAD, _NEW_LOAD), executable = False)

debian_rules_cc = repository_rule(
    implementation = _debian_rules_cc_impl,
    attrs = {"path": attr.string(default = "/usr/share/bazel/rules/cc")},
    local = True,
)
