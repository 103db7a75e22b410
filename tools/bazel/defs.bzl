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

"""syscall_test: a C++ gtest syscall test, natively and under bin/runsc."""

# As the Makefile's CXXFLAGS (-std=c++17 -O1 -Wall -static -pthread, -lrt).
SYSCALL_TEST_COPTS = ["-std=c++17", "-O1", "-Wall"]
SYSCALL_TEST_LINKOPTS = ["-static", "-pthread", "-lrt"]

# MqsentryOnly* cases need mqsentry's message queues (fcntl F_MQ_PEEK, ...):
# Linux fails them by design, so the native targets leave them out.
NATIVE_GTEST_FILTER = "--gtest_filter=-*MqsentryOnly*"

def syscall_test(name, srcs = None, deps = [], size = "small", runsc_size = "medium", tags = [], **kwargs):
    """Defines NAME (native) and NAME_runsc (under bin/runsc).

    NAME is a cc_test run on the host without the MqsentryOnly* cases.
    NAME_runsc (tagged manual and runsc) runs the same binary, every case,
    under `bin/runsc --network=none --ignore-cgroups do`; bin/runsc comes
    from `make runsc`.
    """
    native.cc_test(
        name = name,
        srcs = srcs if srcs != None else [name + ".cc"],
        copts = SYSCALL_TEST_COPTS,
        linkopts = SYSCALL_TEST_LINKOPTS,
        linkstatic = True,
        args = [NATIVE_GTEST_FILTER],
        size = size,
        tags = tags + ["native"],
        deps = deps + ["@system_gtest//:gtest_main"],
        **kwargs
    )
    native.sh_test(
        name = name + "_runsc",
        srcs = ["//tools/bazel:runsc_test.sh"],
        args = [
            "'$(rootpaths //:runsc)'",
            "$(rootpath :%s)" % name,
        ],
        data = [
            ":" + name,
            "//:runsc",
        ],
        size = runsc_size,
        tags = tags + ["manual", "runsc"],
        **kwargs
    )
