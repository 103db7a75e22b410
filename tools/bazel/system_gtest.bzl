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

"""googletest from Debian's libgtest-dev as a Bazel repository.

@system_gtest//:gtest and :gtest_main link the static libgtest.a and
libgtest_main.a from /usr/lib/<multiarch> and expose /usr/include/gtest as
"gtest/..." on an -isystem path (as the Makefile's g++ sees it, so gtest's
own headers raise no warnings). Nothing is fetched.
"""

_BUILD = """package(default_visibility = ["//visibility:public"])

cc_import(
    name = "gtest_a",
    static_library = "lib/libgtest.a",
)

cc_import(
    name = "gtest_main_a",
    static_library = "lib/libgtest_main.a",
)

cc_library(
    name = "gtest",
    hdrs = glob(["include/gtest/**/*.h"]),
    includes = ["include"],
    linkopts = ["-pthread"],
    deps = [":gtest_a"],
)

cc_library(
    name = "gtest_main",
    deps = [
        ":gtest",
        ":gtest_main_a",
    ],
)
"""

def _system_gtest_impl(rctx):
    include = rctx.path(rctx.attr.include_dir)
    libdir = rctx.attr.lib_dir
    if not libdir:
        res = rctx.execute(["gcc", "-print-multiarch"])
        if res.return_code != 0 or not res.stdout.strip():
            fail("system_gtest: cannot tell the multiarch lib directory (gcc -print-multiarch): " + res.stderr)
        libdir = "/usr/lib/" + res.stdout.strip()
    need = [include.get_child("gtest.h")] + [
        rctx.path(libdir + "/" + lib)
        for lib in ["libgtest.a", "libgtest_main.a"]
    ]
    for p in need:
        if not p.exists:
            fail("system_gtest: %s not found: apt-get install libgtest-dev" % p)
    rctx.symlink(include, "include/gtest")
    for lib in ["libgtest.a", "libgtest_main.a"]:
        rctx.symlink(libdir + "/" + lib, "lib/" + lib)
    rctx.file("BUILD.bazel", _BUILD, executable = False)
    rctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % rctx.name, executable = False)

system_gtest = repository_rule(
    implementation = _system_gtest_impl,
    attrs = {
        "include_dir": attr.string(default = "/usr/include/gtest"),
        # Empty: /usr/lib/$(gcc -print-multiarch).
        "lib_dir": attr.string(default = ""),
    },
    local = True,
)
