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

package ipcproc

import (
	"errors"
	"testing"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/ipcnstest"
)

func TestSetSysctlsSetsEveryLimit(t *testing.T) {
	ctx, ns := ipcnstest.New()
	err := SetSysctls(ctx, map[string]string{
		"kernel/msgmax":             "65536",
		"kernel/msgmnb":             " 131072\n",
		"kernel/msgmni":             "100",
		"fs/mqueue/msg_max":         "100",
		"fs/mqueue/msgsize_max":     "16384",
		"fs/mqueue/msg_default":     "20",
		"fs/mqueue/msgsize_default": "4096",
		"fs/mqueue/queues_max":      "7",
	})
	if err != nil {
		t.Fatalf("SetSysctls: %v", err)
	}
	sysv, posix := ns.SysV.Limits(), ns.Posix.Limits()
	if sysv.MsgMax != 65536 || sysv.MsgMnb != 131072 || sysv.MsgMni != 100 {
		t.Errorf("SysV limits = %+v", sysv)
	}
	if posix.MsgMax != 100 || posix.MsgSizeMax != 16384 || posix.MsgDefault != 20 ||
		posix.MsgSizeDefault != 4096 || posix.QueuesMax != 7 {
		t.Errorf("POSIX limits = %+v", posix)
	}
}

// Values parse as writes to the files do (Linux's proc_dointvec): base 0,
// any int for queues_max, and an empty value sets nothing.
func TestSetSysctlsParsesAsLinux(t *testing.T) {
	ctx, ns := ipcnstest.New()
	msgmnb := ns.SysV.Limits().MsgMnb
	err := SetSysctls(ctx, map[string]string{
		"kernel/msgmni":        "0x64",
		"kernel/msgmax":        "010",
		"kernel/msgmnb":        "",
		"fs/mqueue/queues_max": "-1",
	})
	if err != nil {
		t.Fatalf("SetSysctls: %v", err)
	}
	sysv, posix := ns.SysV.Limits(), ns.Posix.Limits()
	if sysv.MsgMni != 100 || sysv.MsgMax != 8 || sysv.MsgMnb != msgmnb || posix.QueuesMax != -1 {
		t.Errorf("limits = %+v, %+v", sysv, posix)
	}
}

func TestSetSysctlsIsAllOrNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values map[string]string
		bad    string
		errno  error
	}{
		{"below range", map[string]string{"fs/mqueue/msg_max": "0", "kernel/msgmnb": "1"}, "fs/mqueue/msg_max", linuxerr.EINVAL},
		{"above hard max", map[string]string{"fs/mqueue/msg_max": "65537", "kernel/msgmnb": "1"}, "fs/mqueue/msg_max", linuxerr.EINVAL},
		{"msgmni above IPCMNI", map[string]string{"kernel/msgmni": "32769", "fs/mqueue/queues_max": "1"}, "kernel/msgmni", linuxerr.EINVAL},
		{"negative", map[string]string{"kernel/msgmax": "-1", "fs/mqueue/queues_max": "1"}, "kernel/msgmax", linuxerr.EINVAL},
		{"not a number", map[string]string{"kernel/msgmnb": "lots", "fs/mqueue/queues_max": "1"}, "kernel/msgmnb", linuxerr.EINVAL},
		{"plus sign", map[string]string{"kernel/msgmnb": "+5", "fs/mqueue/queues_max": "1"}, "kernel/msgmnb", linuxerr.EINVAL},
		{"queues_max below INT_MIN", map[string]string{"fs/mqueue/queues_max": "-2147483649", "kernel/msgmnb": "1"}, "fs/mqueue/queues_max", linuxerr.EINVAL},
		{"no such file", map[string]string{"fs/mqueue/nonesuch": "1", "kernel/msgmnb": "1"}, "fs/mqueue/nonesuch", linuxerr.ENOENT},
		{"not a limit", map[string]string{"kernel/msg_next_id": "5", "kernel/msgmnb": "1"}, "kernel/msg_next_id", linuxerr.ENOENT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, ns := ipcnstest.New()
			sysvBefore, posixBefore := ns.SysV.Limits(), ns.Posix.Limits()
			err := SetSysctls(ctx, tc.values)
			var se *SysctlError
			if !errors.As(err, &se) || se.Name != tc.bad || se.Value != tc.values[tc.bad] || !errors.Is(err, tc.errno) {
				t.Fatalf("SetSysctls = %v, want a SysctlError for %s (%v)", err, tc.bad, tc.errno)
			}
			if ns.SysV.Limits() != sysvBefore || ns.Posix.Limits() != posixBefore {
				t.Errorf("limits changed although a value was refused: %+v %+v", ns.SysV.Limits(), ns.Posix.Limits())
			}
		})
	}
}

func TestIsLimitSysctl(t *testing.T) {
	for name, want := range map[string]bool{
		"kernel/msgmax": true, "kernel/msgmnb": true, "kernel/msgmni": true,
		"fs/mqueue/msg_max": true, "fs/mqueue/queues_max": true,
		"kernel/msg_next_id": false, "fs/nr_open": false, "kernel/shmmax": false,
	} {
		if got := IsLimitSysctl(name); got != want {
			t.Errorf("IsLimitSysctl(%q) = %v, want %v", name, got, want)
		}
	}
}
