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

// Command checkpoint runs a program in bin/runsc as an OCI container, waits
// for it to print READY, checkpoints it, restores it as a new container,
// signals it with SIGUSR1 and expects it to exit 0 after printing OK. It is
// the end-to-end check that queues survive `runsc checkpoint`/`runsc restore`.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/mqsentry/mqsentry/test/ocispec"
	"github.com/mqsentry/mqsentry/test/runscroot"
)

func main() {
	runsc := flag.String("runsc", "bin/runsc", "the runsc to test")
	prog := flag.String("prog", "", "the static program to run (absolute path)")
	timeout := flag.Duration("timeout", 60*time.Second, "time allowed for each step")
	flag.Parse()
	if err := run(*runsc, *prog, *timeout); err != nil {
		fmt.Println("checkpoint:", err)
		fmt.Println("0 passed, 1 failed")
		os.Exit(1)
	}
	fmt.Println("1 passed, 0 failed")
}

func run(runscPath, prog string, timeout time.Duration) error {
	runscPath, _ = filepath.Abs(runscPath)
	prog, _ = filepath.Abs(prog)
	work, err := os.MkdirTemp("", "mqsentry-ckpt")
	if err != nil {
		return err
	}
	defer runscroot.RemoveAll(work, filepath.Join(work, "state"))
	if err := writeSpec(work, prog); err != nil {
		return err
	}
	id := fmt.Sprintf("mqckpt-%d", os.Getpid())
	runsc := func(args ...string) *exec.Cmd {
		full := append([]string{"--network=none", "--ignore-cgroups", "--root", filepath.Join(work, "state")}, args...)
		return exec.Command(runscPath, full...)
	}
	defer func() {
		_ = runsc("delete", "-force", id).Run()
		_ = runsc("delete", "-force", id+"-restored").Run()
	}()

	before := filepath.Join(work, "before.out")
	if err := runscroot.StartDetached(runsc("run", "-detach", "-bundle", work, id), before); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if err := runscroot.WaitForOutput(before, "READY", timeout); err != nil {
		return err
	}
	image := filepath.Join(work, "image")
	if out, err := runsc("checkpoint", "--image-path", image, id).CombinedOutput(); err != nil {
		return fmt.Errorf("checkpoint: %v: %s", err, out)
	}
	_ = runsc("delete", "-force", id).Run()

	after := filepath.Join(work, "after.out")
	restored := id + "-restored"
	if err := runscroot.StartDetached(runsc("restore", "-detach", "--image-path", image, "-bundle", work, restored), after); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if out, err := runsc("kill", restored, "USR1").CombinedOutput(); err != nil {
		return fmt.Errorf("kill: %v: %s", err, out)
	}
	if err := runscroot.WaitForOutput(after, "OK", timeout); err != nil {
		return err
	}
	out, _ := os.ReadFile(after)
	fmt.Print(string(out))
	return nil
}

// specSysctls are message queue limits the spec sets (above Linux's
// defaults); the program gets them as arguments, to check that the restored
// IPC namespace still has them.
var specSysctls = [][2]string{{"fs.mqueue.msg_max", "300"}, {"kernel.msgmnb", "200000"}}

// writeSpec writes a minimal OCI config running prog on the host's root,
// read-only, without a terminal, with Docker's /dev/mqueue mount and
// specSysctls.
func writeSpec(dir, prog string) error {
	// Queues deeper than msg_max need CAP_SYS_RESOURCE.
	caps := []string{"CAP_SYS_RESOURCE", "CAP_SYS_ADMIN", "CAP_DAC_OVERRIDE", "CAP_KILL"}
	return ocispec.Write(dir, &specs.Spec{
		Version:  ocispec.Version,
		Process:  ocispec.RootProcess([]string{prog, specSysctls[0][1], specSysctls[1][1]}, []string{"PATH=/usr/bin:/bin"}, "/", caps),
		Root:     &specs.Root{Path: "/", Readonly: true},
		Hostname: "mqsentry",
		Mounts:   []specs.Mount{ocispec.ProcMount, ocispec.MqueueMount(ocispec.DockerMqueueOptions...)},
		Linux: &specs.Linux{
			Namespaces: ocispec.Namespaces(specs.PIDNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.MountNamespace),
			Sysctl:     map[string]string{specSysctls[0][0]: specSysctls[0][1], specSysctls[1][0]: specSysctls[1][1]},
		},
	})
}
