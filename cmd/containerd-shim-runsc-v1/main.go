// Copyright 2026 The mqsentry Authors.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

// Binary containerd-shim-runsc-v1 is gVisor's containerd shim
// (runtime_type "io.containerd.runsc.v1") built from the same gVisor pin and
// overlay as bin/runsc (build/overlay.list), so that its edits apply: the
// shim takes containerd's OOM score adjustment + 1, as containerd's own shims
// do, instead of -999.
package main

import "gvisor.dev/gvisor/shim/v1/cli"

func main() {
	cli.Main()
}
