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
