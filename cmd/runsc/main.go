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

// Binary runsc is gVisor's runsc built with mqsentry's message-queue
// subsystem in place of gVisor's (see the overlay list in build/overlay.list).
package main

import (
	"os"

	"github.com/mqsentry/mqsentry/pkg/runsc/ipcjoin"
	"gvisor.dev/gvisor/runsc/cli/maincli"
)

func main() {
	// A joined container's waiter is this binary, started by `runsc create`
	// (see package ipcjoin).
	if len(os.Args) > 1 && os.Args[1] == ipcjoin.WaiterCommand {
		os.Exit(ipcjoin.WaiterMain(os.Args[2:]))
	}
	maincli.Main()
}
