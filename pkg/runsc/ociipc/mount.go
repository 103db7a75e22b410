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

package ociipc

import (
	"fmt"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"gvisor.dev/gvisor/pkg/sentry/vfs"

	"github.com/mqsentry/mqsentry/pkg/sentry/fsimpl/mqfs"
)

// MqueueType is the OCI mount type of an mqueue mount.
const MqueueType = mqfs.Name

// mountFlag is what one OCI mount option does to a mount of the Sentry.
type mountFlag func(*vfs.MountOptions)

func noop(*vfs.MountOptions) {}

// mountFlags are the options runc turns into mount(2) flags rather than
// filesystem data. The ones without an effect here (atime variants, sync,
// propagation, ...) are accepted as Linux accepts them for mqueue; the
// recursive "r" forms act on the one mount, as mqueue has no submounts.
var mountFlags = func() map[string]mountFlag {
	flags := map[string]mountFlag{
		"ro":      func(o *vfs.MountOptions) { o.ReadOnly = true },
		"rw":      func(o *vfs.MountOptions) { o.ReadOnly = false },
		"nosuid":  func(o *vfs.MountOptions) { o.Flags.NoSUID = true },
		"suid":    func(o *vfs.MountOptions) { o.Flags.NoSUID = false },
		"nodev":   func(o *vfs.MountOptions) { o.Flags.NoDev = true },
		"dev":     func(o *vfs.MountOptions) { o.Flags.NoDev = false },
		"noexec":  func(o *vfs.MountOptions) { o.Flags.NoExec = true },
		"exec":    func(o *vfs.MountOptions) { o.Flags.NoExec = false },
		"noatime": func(o *vfs.MountOptions) { o.Flags.NoATime = true },
		"atime":   func(o *vfs.MountOptions) { o.Flags.NoATime = false },
	}
	for _, o := range []string{"relatime", "norelatime", "strictatime", "nostrictatime",
		"diratime", "nodiratime", "symfollow", "nosymfollow"} {
		flags[o] = noop
	}
	recursive := make(map[string]mountFlag, len(flags))
	for o, f := range flags {
		recursive["r"+o] = f
	}
	for o, f := range recursive {
		flags[o] = f
	}
	for _, o := range []string{"defaults", "sync", "async", "dirsync", "lazytime", "nolazytime",
		"mand", "nomand", "iversion", "noiversion", "silent", "loud",
		"private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable",
		// runsc makes a mount with these a bind mount before it is mounted.
		"bind", "rbind",
		// runc passes "" on as filesystem data, which Linux's option parser
		// skips, and acts on tmpcopyup only for tmpfs.
		"", "tmpcopyup"} {
		flags[o] = noop
	}
	return flags
}()

// MqueueMount returns the filesystem name and mount options for an OCI
// mount of type mqueue. The filesystem it names shows the IPC namespace of
// the context it is mounted with (mqfs.FilesystemType.GetFilesystem), which
// runsc's container set-up gives the container's. mqueue takes no
// filesystem data: an option that is not a mount flag is an error, as
// mount(2) gives EINVAL for it on Linux.
func MqueueMount(m *specs.Mount) (string, *vfs.MountOptions, error) {
	opts := &vfs.MountOptions{
		GetFilesystemOptions: vfs.GetFilesystemOptions{InternalMount: true},
	}
	for _, o := range m.Options {
		set, ok := mountFlags[o]
		if !ok {
			return "", nil, fmt.Errorf("mqueue mount at %q: unknown option %q (mqueue takes no data options: invalid argument)", m.Destination, o)
		}
		set(opts)
	}
	return mqfs.Name, opts, nil
}

// procMountError returns the error runc gives for mounts[i], an mqueue
// mount, if it is at or under /proc and no later mount at /proc covers it,
// nil otherwise. runc fails such a container one way or another: mqueue
// over /proc hides procfs, and runc's set-up then fails opening
// /proc/self/fd; a mount point under /proc does not exist (procfs makes no
// directories) or is one of procfs's own, whose files the mount would hide.
// runsc would start the container without procfs, or with the mount inside
// it. The error has the words of runc's check of every other type of mount
// at /proc (checkProcMount).
func procMountError(mounts []specs.Mount, i int) error {
	dest := path.Clean("/" + mounts[i].Destination)
	for _, later := range mounts[i+1:] {
		if path.Clean("/"+later.Destination) == "/proc" {
			return nil
		}
	}
	switch {
	case dest == "/proc":
		return fmt.Errorf("%q cannot be mounted because it is not of type proc", dest)
	case strings.HasPrefix(dest, "/proc/"):
		return fmt.Errorf("%q cannot be mounted because it is inside /proc", dest)
	}
	return nil
}
