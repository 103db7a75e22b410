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

package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

const devMqueue = "/dev/mqueue"

// mqueueDir is a directory showing the caller's IPC namespace's POSIX queues.
type mqueueDir struct {
	path    string
	private bool // a mount of ours, on a temporary directory
}

func isMqueueFS(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && uint32(st.Type) == mqueueMagic
}

func devOf(path string) (uint64, bool) {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return 0, false
	}
	return st.Dev, true
}

// openMqueueDir finds or mounts the mqueue filesystem (see doc.go).
func openMqueueDir(override string) (*mqueueDir, error) {
	if override != "" {
		if !isMqueueFS(override) {
			return nil, fmt.Errorf("-mqueue %s: not an mqueue filesystem", override)
		}
		return &mqueueDir{path: override}, nil
	}
	devOK := isMqueueFS(devMqueue)
	tmp, err := os.MkdirTemp("", "mqdump-mqueue-")
	if err != nil {
		if devOK {
			return &mqueueDir{path: devMqueue}, nil
		}
		return nil, fmt.Errorf("%s is not mounted and no temporary directory to mount mqueue on: %v", devMqueue, err)
	}
	if err := unix.Mount("mqueue", tmp, "mqueue", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		os.Remove(tmp)
		if devOK {
			// Cannot check that /dev/mqueue is this namespace's: trust it.
			return &mqueueDir{path: devMqueue}, nil
		}
		return nil, fmt.Errorf("%s is not an mqueue filesystem and mounting one on %s failed: %v", devMqueue, tmp, err)
	}
	d := &mqueueDir{path: tmp, private: true}
	if devOK {
		a, ok1 := devOf(devMqueue)
		b, ok2 := devOf(tmp)
		if ok1 && ok2 && a == b {
			d.close()
			return &mqueueDir{path: devMqueue}, nil
		}
	}
	return d, nil
}

func (d *mqueueDir) close() {
	if d.private {
		if err := unix.Unmount(d.path, unix.MNT_DETACH); err != nil {
			fmt.Fprintf(os.Stderr, "mqdump: unmounting %s: %v\n", d.path, err)
			return
		}
		os.Remove(d.path)
		d.private = false
	}
}

// posixNames returns the names ("/" + file name) of the namespace's POSIX
// queues, sorted.
func posixNames(mqDirFlag string) ([]string, string, error) {
	d, err := openMqueueDir(mqDirFlag)
	if err != nil {
		return nil, "", err
	}
	defer d.close()
	ents, err := os.ReadDir(d.path)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %v", d.path, err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, "/"+e.Name())
	}
	sort.Strings(names)
	where := d.path
	if d.private {
		where = "private mqueue mount"
	}
	return names, where, nil
}

// posixInfo is what list shows of a POSIX queue.
type posixInfo struct {
	name string
	attr mqAttr
	mode uint32
	uid  uint32
	gid  uint32
}

// statPOSIX opens name for reading and returns its attributes and the open
// descriptor (which the caller closes).
func statPOSIX(name string) (posixInfo, int, error) {
	info := posixInfo{name: name}
	fd, err := mqOpen(name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0, nil)
	if err != nil {
		return info, -1, fmt.Errorf("mq_open(%q, O_RDONLY): %v", name, err)
	}
	a, err := mqGetattr(fd)
	if err != nil {
		unix.Close(fd)
		return info, -1, fmt.Errorf("mq_getattr(%q): %v", name, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return info, -1, fmt.Errorf("fstat(%q): %v", name, err)
	}
	info.attr, info.mode, info.uid, info.gid = a, st.Mode&0o7777, st.Uid, st.Gid
	return info, fd, nil
}

// peekUnsupported tells whether err from F_MQ_PEEK means the kernel lacks it.
func peekUnsupported(err error) bool {
	return errnoIs(err, unix.EINVAL) || errnoIs(err, unix.ENOSYS) || errnoIs(err, unix.EOPNOTSUPP)
}

// dumpPOSIX reads every POSIX queue with its messages.
func dumpPOSIX(mqDirFlag string) ([]POSIXQueue, error) {
	names, _, err := posixNames(mqDirFlag)
	if err != nil {
		return nil, err
	}
	var out []POSIXQueue
	var noPeek []string
	for _, name := range names {
		info, fd, err := statPOSIX(name)
		if err != nil {
			if errnoIs(err, unix.ENOENT) {
				continue // unlinked since the directory was read
			}
			return nil, err
		}
		q := POSIXQueue{
			Mode:    formatMode(info.mode),
			UID:     info.uid,
			GID:     info.gid,
			MaxMsg:  info.attr.Maxmsg,
			MsgSize: info.attr.Msgsize,
		}
		q.Name, q.NameBase64 = encodeName(name)
		if info.attr.Curmsgs > 0 {
			msgs, err := peekAll(fd, info.attr)
			if err != nil && peekUnsupported(err) {
				noPeek = append(noPeek, fmt.Sprintf("%q (%d messages)", name, info.attr.Curmsgs))
			} else if err != nil {
				unix.Close(fd)
				return nil, fmt.Errorf("POSIX queue %q: %v", name, err)
			}
			q.Messages = msgs
		}
		q.CurMsgs = int64(len(q.Messages))
		unix.Close(fd)
		out = append(out, q)
	}
	if len(noPeek) > 0 {
		return nil, fmt.Errorf("cannot read the messages of POSIX queue(s) %s without consuming them: "+
			"this kernel has no fcntl(F_MQ_PEEK) (fcntl command 1041 gave EINVAL; only mqsentry's runsc implements it); "+
			"run mqdump inside bin/runsc, or empty those queues", strings.Join(noPeek, ", "))
	}
	return out, nil
}

// peekAll reads every message of the queue in receive order with
// F_MQ_PEEK. The first error is returned as is so the caller can tell a
// missing F_MQ_PEEK apart.
func peekAll(fd int, a mqAttr) ([]POSIXMessage, error) {
	buf := make([]byte, a.Msgsize)
	var msgs []POSIXMessage
	for off := int32(0); ; off++ {
		n, prio, err := mqPeek(fd, off, buf)
		if errnoIs(err, unix.ENOMSG) {
			break
		}
		if err != nil {
			if off == 0 {
				return nil, err
			}
			return nil, fmt.Errorf("fcntl(F_MQ_PEEK, offset %d): %v", off, err)
		}
		if n < 0 || n > len(buf) {
			return nil, fmt.Errorf("fcntl(F_MQ_PEEK, offset %d) returned %d for a %d-byte buffer", off, n, len(buf))
		}
		msgs = append(msgs, POSIXMessage{Priority: prio, Data: base64.StdEncoding.EncodeToString(buf[:n])})
		if int64(len(msgs)) > a.Maxmsg {
			return nil, fmt.Errorf("F_MQ_PEEK returned more messages than maxmsg %d", a.Maxmsg)
		}
	}
	if int64(len(msgs)) != a.Curmsgs {
		return nil, fmt.Errorf("mq_getattr said %d messages but F_MQ_PEEK found %d (is the queue in use?)", a.Curmsgs, len(msgs))
	}
	return msgs, nil
}

// checkPOSIXAbsent fails if a queue of one of the names exists already.
func checkPOSIXAbsent(qs []POSIXQueue) error {
	var clash []string
	for i := range qs {
		name, _ := qs[i].RawName()
		fd, err := mqOpen(name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0, nil)
		switch {
		case err == nil:
			unix.Close(fd)
			clash = append(clash, fmt.Sprintf("%q", name))
		case errnoIs(err, unix.ENOENT):
		case errnoIs(err, unix.EACCES):
			clash = append(clash, fmt.Sprintf("%q", name))
		default:
			return fmt.Errorf("mq_open(%q): %v", name, err)
		}
	}
	if len(clash) > 0 {
		return fmt.Errorf("POSIX queue(s) %s exist already: restore needs a fresh IPC namespace (e.g. unshare --ipc)", strings.Join(clash, ", "))
	}
	return nil
}

// restorePOSIX creates one queue with its messages. The umask must be 0.
func restorePOSIX(q *POSIXQueue) error {
	name, _ := q.RawName()
	mode, _ := parseMode(q.Mode, 0o7777)
	attr := mqAttr{Maxmsg: q.MaxMsg, Msgsize: q.MsgSize}
	fd, err := mqOpen(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NONBLOCK|unix.O_CLOEXEC, mode, &attr)
	if err != nil {
		hint := ""
		if errnoIs(err, unix.EINVAL) {
			hint = " (maxmsg or msgsize above /proc/sys/fs/mqueue/msg_max or msgsize_max needs CAP_SYS_RESOURCE)"
		} else if errnoIs(err, unix.EMFILE) {
			hint = " (RLIMIT_MSGQUEUE exhausted?)"
		}
		return fmt.Errorf("mq_open(%q, O_CREAT|O_EXCL, %04o, maxmsg %d, msgsize %d): %v%s", name, mode, q.MaxMsg, q.MsgSize, err, hint)
	}
	defer unix.Close(fd)
	for i, m := range q.Messages {
		data, _ := base64.StdEncoding.DecodeString(m.Data)
		if err := mqSend(fd, data, m.Priority); err != nil {
			return fmt.Errorf("POSIX queue %q: mq_send of message %d (%d bytes, priority %d): %v", name, i, len(data), m.Priority, err)
		}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("fstat(%q): %v", name, err)
	}
	if st.Uid != q.UID || st.Gid != q.GID {
		if err := unix.Fchown(fd, int(q.UID), int(q.GID)); err != nil {
			return fmt.Errorf("POSIX queue %q: fchown(%d, %d): %v", name, q.UID, q.GID, err)
		}
		if err := unix.Fstat(fd, &st); err != nil {
			return fmt.Errorf("fstat(%q): %v", name, err)
		}
	}
	if st.Mode&0o7777 != mode {
		// The umask is 0, so this is only reached for bits that mq_open
		// drops or that fchown cleared (set-user-ID and set-group-ID).
		if err := unix.Fchmod(fd, mode); err != nil {
			return fmt.Errorf("POSIX queue %q: fchmod(%04o): %v", name, mode, err)
		}
	}
	return nil
}
