// Binary runsc is gVisor's runsc built with mqsentry's message-queue
// subsystem in place of gVisor's (see the overlay list in build/overlay.list).
package main

import "gvisor.dev/gvisor/runsc/cli/maincli"

func main() {
	maincli.Main()
}
