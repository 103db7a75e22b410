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

"""Inert stand-ins for rules_go's go_library, go_binary and go_test.

mqsentry's Go code is built with `go build` (see the Makefile); Gazelle keeps
the BUILD.bazel files of the Go packages in sync with the imports
(tools/bazel/check-gazelle.sh). rules_go and the Go SDK cannot be fetched
offline by Debian's Bazel 4.2.3, so these macros only record the sources in a
filegroup tagged "manual": the BUILD files load, `bazel query //...` works,
and nothing Go is built or tested by Bazel.
"""

def _inert(name, srcs = [], embedsrcs = [], **kwargs):
    native.filegroup(
        name = name,
        srcs = srcs + embedsrcs,
        tags = ["manual"],
        visibility = kwargs.get("visibility"),
    )

def go_library(name, **kwargs):
    _inert(name, **kwargs)

def go_binary(name, **kwargs):
    _inert(name, **kwargs)

def go_test(name, **kwargs):
    _inert(name, **kwargs)

def go_source(name, **kwargs):
    _inert(name, **kwargs)
