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

// Command mqtool is the static helper of the mqdump tests (test/mqdump). It
// runs where the queues live, natively or as the program of `runsc do`, and
// drives the whole round trip there:
//
//	mqtool scenario -mqdump BIN [-posix full|empty|none] [-work DIR]
//	                [-private-mounts] [-mount-dev-mqueue]
//
// scenario must start in a fresh IPC namespace. It fills SysV queues (keys,
// IPC_PRIVATE, modes, owners, qbytes, a hole in the ids, types up to 2^62,
// binary and empty payloads, a queue made at id 98311 through msg_next_id)
// and POSIX queues (priorities, full queues, owners, a 255-character name,
// names that are not ASCII or not UTF-8; -posix empty makes them all empty,
// for kernels without F_MQ_PEEK). With CAP_SYS_RESOURCE it also makes a
// POSIX queue deeper than msg_max and a SysV qbytes above msgmnb. Then:
//
//  1. runs `mqdump list` and `mqdump dump d1.json`, then both again, and
//     requires the same output (dumping changes nothing it can see);
//  2. checks d1.json against what it created, with its own decoder;
//  3. requires `mqdump restore d1.json` to fail here (the queues exist);
//  4. starts itself as `mqtool restore-child` in a new IPC namespace
//     (clone(CLONE_NEWIPC)), which checks that the namespace is empty, runs
//     `mqdump restore d1.json`, `mqdump dump d2.json`, and receives every
//     message for real, comparing with d1.json (with -mount-dev-mqueue,
//     /dev/mqueue shows the source namespace there, and mqdump must use a
//     private mount instead);
//  5. receives every message of the source queues for real, comparing with
//     what it created (so the dumps left them untouched);
//  6. requires d2.json to be byte-identical to d1.json;
//  7. with -posix empty, requires `mqdump dump` to fail clearly, naming
//     F_MQ_PEEK, once a POSIX queue holds a message.
//
// It prints "DUMP1 <base64>", "DUMP2 <base64>" and finally "SCENARIO OK", or
// "FAIL: ..." with a non-zero exit status.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: mqtool scenario|restore-child ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "scenario":
		err = scenario(os.Args[2:])
	case "restore-child":
		err = restoreChild(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Printf("FAIL: %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// ---- what the scenario creates ----

type pmsg struct {
	prio uint32
	data []byte
}

type posixSpec struct {
	name            string
	maxmsg, msgsize int64
	mode            uint32
	uid, gid        uint32
	msgs            []pmsg // in send order
}

type smsg struct {
	typ  int64
	data []byte
}

type sysvSpec struct {
	key      int32
	mode     uint32
	uid, gid uint32
	qbytes   uint64 // 0: leave msgmnb
	msgs     []smsg
	remove   bool // removed after the others are made: leaves a hole
	atID     int  // > 0: made at this id through msg_next_id
	id       int  // filled in by fill
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

func posixSpecs(kind string) []posixSpec {
	if kind == "none" {
		return nil
	}
	allBytes := make([]byte, 64)
	for i := range allBytes {
		allBytes[i] = 0xff - byte(i)
	}
	// A queue deeper than msg_max (10) needs CAP_SYS_RESOURCE.
	depth := 10
	if hasCap(capSysResource) {
		depth = 20
	}
	full := posixSpec{name: "/mqd.c", maxmsg: int64(depth), msgsize: 8192, mode: 0o604, uid: 1000, gid: 1001}
	for i := 0; i < depth; i++ {
		d := []byte(fmt.Sprintf("c-%02d", i))
		if i == 0 {
			d = pattern(8192, 3)
		}
		full.msgs = append(full.msgs, pmsg{uint32(i % 3), d})
	}
	specs := []posixSpec{
		{name: "/mqd.a", maxmsg: 8, msgsize: 64, mode: 0o640, msgs: []pmsg{
			{0, []byte("p0-a")}, {5, []byte("p5-a")}, {5, []byte("p5-b")}, {1, nil},
			{32767, allBytes}, {0, []byte("p0-b")},
		}},
		{name: "/mqd.b", maxmsg: 3, msgsize: 16, mode: 0o600},
		full,
		{name: "/mqd.\u00fc", maxmsg: 2, msgsize: 128, mode: 0o666, msgs: []pmsg{{7, []byte("u")}}},
		{name: "/mqd.\xff\xfe", maxmsg: 4, msgsize: 32, mode: 0o620, uid: 0, gid: 1002, msgs: []pmsg{{2, []byte("ff")}, {9, []byte("nine")}}},
		{name: "/" + strings.Repeat("n", 255), maxmsg: 1, msgsize: 1, mode: 0o644, msgs: []pmsg{{3, []byte("z")}}},
	}
	if kind == "empty" {
		for i := range specs {
			specs[i].msgs = nil
		}
	}
	return specs
}

const capSysResource = 24

// hasCap reports whether the capability is in the effective set.
func hasCap(c uint) bool {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "CapEff:"); ok {
			v, err := strconv.ParseUint(strings.TrimSpace(rest), 16, 64)
			return err == nil && v&(1<<c) != 0
		}
	}
	return false
}

func sysvSpecs() []sysvSpec {
	// qbytes above msgmnb (16384) needs CAP_SYS_RESOURCE.
	bigQ := uint64(16000)
	if hasCap(capSysResource) {
		bigQ = 20000
	}
	var many []smsg
	for i := 0; i < 50; i++ {
		many = append(many, smsg{int64(i%5 + 1), []byte(fmt.Sprintf("e-%02d", i))})
	}
	return []sysvSpec{
		{key: 0x4d510001, mode: 0o640, qbytes: 12345, msgs: []smsg{
			{1, []byte("first")}, {2, pattern(256, 0)}, {1, nil}, {3, bytes.Repeat([]byte("x"), 100)}, {2, []byte("last")},
		}},
		{key: 0, mode: 0o600},
		{key: 0x4d510003, mode: 0o600, msgs: []smsg{{1, []byte("gone")}}, remove: true},
		{key: 0x4d510004, mode: 0o666, uid: 1000, gid: 1001, msgs: []smsg{{1 << 62, pattern(8000, 9)}, {7, []byte("seven")}}},
		{key: 0x4d510005, mode: 0o644, qbytes: bigQ, msgs: many},
		{key: 0x4d510007, mode: 0o600, atID: 3<<15 | 7, msgs: []smsg{{4, []byte("at 98311")}}},
		{key: -0x4d510006, mode: 0o620, msgs: []smsg{{9, []byte("f")}}}, // made after the removal
	}
}

// ---- system calls (independent of mqdump's) ----

type mqAttr struct {
	Flags, Maxmsg, Msgsize, Curmsgs int64
	_                               [4]int64
}

type msqidDS struct {
	Perm                 unix.SysvIpcPerm
	Stime, Rtime, Ctime  int64
	Cbytes, Qnum, Qbytes uint64
	Lspid, Lrpid         int32
	_                    [2]uint64
}

func mqOpen(name string, flags int, mode uint32, attr *mqAttr) (int, error) {
	p, err := unix.BytePtrFromString(name[1:])
	if err != nil {
		return -1, err
	}
	fd, _, e := unix.Syscall6(unix.SYS_MQ_OPEN, uintptr(unsafe.Pointer(p)), uintptr(flags), uintptr(mode), uintptr(unsafe.Pointer(attr)), 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(fd), nil
}

func mqSend(fd int, data []byte, prio uint32) error {
	buf := append(data[:len(data):len(data)], 0)
	_, _, e := unix.Syscall6(unix.SYS_MQ_TIMEDSEND, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(data)), uintptr(prio), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

func mqReceive(fd int, buf []byte) (int, uint32, error) {
	var prio uint32
	n, _, e := unix.Syscall6(unix.SYS_MQ_TIMEDRECEIVE, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), uintptr(unsafe.Pointer(&prio)), 0, 0)
	if e != 0 {
		return 0, 0, e
	}
	return int(n), prio, nil
}

func msgctl(id, cmd int, ds *msqidDS) error {
	_, _, e := unix.Syscall(unix.SYS_MSGCTL, uintptr(id), uintptr(cmd), uintptr(unsafe.Pointer(ds)))
	if e != 0 {
		return e
	}
	return nil
}

func msgget(key int32, flags int) (int, error) {
	r, _, e := unix.Syscall(unix.SYS_MSGGET, uintptr(key), uintptr(flags), 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

func msgsnd(id int, typ int64, data []byte) error {
	buf := make([]byte, 8+len(data))
	binary.NativeEndian.PutUint64(buf, uint64(typ))
	copy(buf[8:], data)
	_, _, e := unix.Syscall6(unix.SYS_MSGSND, uintptr(id), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(data)), unix.IPC_NOWAIT, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

func msgrcv(id int, buf []byte) (int64, []byte, error) {
	n, _, e := unix.Syscall6(unix.SYS_MSGRCV, uintptr(id), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)-8), 0, unix.IPC_NOWAIT, 0)
	if e != 0 {
		return 0, nil, e
	}
	return int64(binary.NativeEndian.Uint64(buf)), buf[8 : 8+n], nil
}

// ---- filling ----

func fillPOSIX(specs []posixSpec) error {
	old := unix.Umask(0)
	defer unix.Umask(old)
	for _, s := range specs {
		attr := mqAttr{Maxmsg: s.maxmsg, Msgsize: s.msgsize}
		fd, err := mqOpen(s.name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NONBLOCK, s.mode, &attr)
		if err != nil {
			return fmt.Errorf("mq_open(%q): %v", s.name, err)
		}
		for _, m := range s.msgs {
			if err := mqSend(fd, m.data, m.prio); err != nil {
				unix.Close(fd)
				return fmt.Errorf("mq_send(%q): %v", s.name, err)
			}
		}
		if s.uid != 0 || s.gid != 0 {
			if err := unix.Fchown(fd, int(s.uid), int(s.gid)); err != nil {
				unix.Close(fd)
				return fmt.Errorf("fchown(mq %q): %v", s.name, err)
			}
		}
		unix.Close(fd)
	}
	return nil
}

func fillSysV(specs []sysvSpec) error {
	var later []int
	for i := range specs {
		s := &specs[i]
		if i == len(specs)-1 {
			for _, j := range later {
				if err := msgctl(specs[j].id, unix.IPC_RMID, nil); err != nil {
					return fmt.Errorf("IPC_RMID %d: %v", specs[j].id, err)
				}
			}
		}
		if s.atID > 0 {
			if err := os.WriteFile("/proc/sys/kernel/msg_next_id", []byte(strconv.Itoa(s.atID)), 0); err != nil {
				return fmt.Errorf("writing %d to /proc/sys/kernel/msg_next_id: %v", s.atID, err)
			}
		}
		id, err := msgget(s.key, unix.IPC_CREAT|unix.IPC_EXCL|int(s.mode))
		if err != nil {
			return fmt.Errorf("msgget(%#x): %v", uint32(s.key), err)
		}
		if s.atID > 0 && id != s.atID {
			return fmt.Errorf("msgget after writing %d to /proc/sys/kernel/msg_next_id gave id %d", s.atID, id)
		}
		s.id = id
		for _, m := range s.msgs {
			if err := msgsnd(id, m.typ, m.data); err != nil {
				return fmt.Errorf("msgsnd(%d): %v", id, err)
			}
		}
		if s.uid != 0 || s.gid != 0 || s.qbytes != 0 {
			var ds msqidDS
			if err := msgctl(id, unix.IPC_STAT, &ds); err != nil {
				return fmt.Errorf("IPC_STAT %d: %v", id, err)
			}
			ds.Perm.Uid, ds.Perm.Gid = s.uid, s.gid
			if s.qbytes != 0 {
				ds.Qbytes = s.qbytes
			}
			if err := msgctl(id, unix.IPC_SET, &ds); err != nil {
				return fmt.Errorf("IPC_SET %d: %v", id, err)
			}
		}
		if s.remove {
			later = append(later, i)
		}
	}
	return nil
}

// ---- the dump file, decoded independently of mqdump ----

type dumpFile struct {
	Format string `json:"format"`
	POSIX  []struct {
		Name       string `json:"name"`
		NameBase64 string `json:"name_base64"`
		Mode       string `json:"mode"`
		UID        uint32 `json:"uid"`
		GID        uint32 `json:"gid"`
		MaxMsg     int64  `json:"maxmsg"`
		MsgSize    int64  `json:"msgsize"`
		CurMsgs    int64  `json:"curmsgs"`
		Messages   []struct {
			Priority uint32 `json:"priority"`
			Data     []byte `json:"data"` // encoding/json: standard base64
		} `json:"messages"`
	} `json:"posix"`
	SysV []struct {
		ID       int    `json:"id"`
		Key      int32  `json:"key"`
		Mode     string `json:"mode"`
		UID      uint32 `json:"uid"`
		GID      uint32 `json:"gid"`
		QBytes   uint64 `json:"qbytes"`
		QNum     uint64 `json:"qnum"`
		Messages []struct {
			Type int64  `json:"type"`
			Data []byte `json:"data"`
		} `json:"messages"`
	} `json:"sysv"`
}

func readDump(path string) (*dumpFile, []byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var d dumpFile
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, nil, fmt.Errorf("%s: %v", path, err)
	}
	if d.POSIX == nil || d.SysV == nil {
		return nil, nil, fmt.Errorf("%s: posix or sysv is null, want []", path)
	}
	return &d, raw, nil
}

// expected receive order: priority descending, FIFO within a priority.
func receiveOrder(msgs []pmsg) []pmsg {
	out := append([]pmsg(nil), msgs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].prio > out[j].prio })
	return out
}

func checkDump(d *dumpFile, ps []posixSpec, ss []sysvSpec) error {
	if d.Format != "mqdump/1" {
		return fmt.Errorf("format %q", d.Format)
	}
	want := append([]posixSpec(nil), ps...)
	sort.Slice(want, func(i, j int) bool { return want[i].name < want[j].name })
	if len(d.POSIX) != len(want) {
		return fmt.Errorf("%d POSIX queues in the dump, want %d", len(d.POSIX), len(want))
	}
	for i, s := range want {
		q := d.POSIX[i]
		name := q.Name
		if q.NameBase64 != "" {
			b, err := base64.StdEncoding.DecodeString(q.NameBase64)
			if err != nil || q.Name != "" {
				return fmt.Errorf("posix[%d]: name %q name_base64 %q", i, q.Name, q.NameBase64)
			}
			name = string(b)
		}
		if name != s.name {
			return fmt.Errorf("posix[%d] is %q, want %q", i, name, s.name)
		}
		got := fmt.Sprintf("mode %s uid %d gid %d maxmsg %d msgsize %d curmsgs %d", q.Mode, q.UID, q.GID, q.MaxMsg, q.MsgSize, q.CurMsgs)
		exp := fmt.Sprintf("mode %04o uid %d gid %d maxmsg %d msgsize %d curmsgs %d", s.mode, s.uid, s.gid, s.maxmsg, s.msgsize, len(s.msgs))
		if got != exp {
			return fmt.Errorf("POSIX %q: %s, want %s", s.name, got, exp)
		}
		order := receiveOrder(s.msgs)
		if len(q.Messages) != len(order) {
			return fmt.Errorf("POSIX %q: %d messages, want %d", s.name, len(q.Messages), len(order))
		}
		for j, m := range order {
			if q.Messages[j].Priority != m.prio || !bytes.Equal(q.Messages[j].Data, m.data) {
				return fmt.Errorf("POSIX %q message %d: prio %d %q, want prio %d %q", s.name, j, q.Messages[j].Priority, short(q.Messages[j].Data), m.prio, short(m.data))
			}
		}
	}
	var live []sysvSpec
	for _, s := range ss {
		if !s.remove {
			live = append(live, s)
		}
	}
	sort.Slice(live, func(i, j int) bool { return live[i].id < live[j].id })
	if len(d.SysV) != len(live) {
		return fmt.Errorf("%d SysV queues in the dump, want %d", len(d.SysV), len(live))
	}
	for i, s := range live {
		q := d.SysV[i]
		qb := s.qbytes
		if qb == 0 {
			qb = q.QBytes // msgmnb, checked by the round trip
		}
		got := fmt.Sprintf("id %d key %d mode %s uid %d gid %d qbytes %d qnum %d", q.ID, q.Key, q.Mode, q.UID, q.GID, q.QBytes, q.QNum)
		exp := fmt.Sprintf("id %d key %d mode %04o uid %d gid %d qbytes %d qnum %d", s.id, s.key, s.mode, s.uid, s.gid, qb, len(s.msgs))
		if got != exp {
			return fmt.Errorf("SysV queue: %s, want %s", got, exp)
		}
		if len(q.Messages) != len(s.msgs) {
			return fmt.Errorf("SysV %d: %d messages, want %d", s.id, len(q.Messages), len(s.msgs))
		}
		for j, m := range s.msgs {
			if q.Messages[j].Type != m.typ || !bytes.Equal(q.Messages[j].Data, m.data) {
				return fmt.Errorf("SysV %d message %d: type %d %q, want type %d %q", s.id, j, q.Messages[j].Type, short(q.Messages[j].Data), m.typ, short(m.data))
			}
		}
	}
	return nil
}

func short(b []byte) string {
	if len(b) > 16 {
		return fmt.Sprintf("%q...(%d bytes)", b[:16], len(b))
	}
	return string(b)
}

// ---- draining: receive every message for real ----

func drainPOSIX(name string, msgsize int64, want []pmsg) error {
	fd, err := mqOpen(name, unix.O_RDONLY|unix.O_NONBLOCK, 0, nil)
	if err != nil {
		return fmt.Errorf("mq_open(%q): %v", name, err)
	}
	defer unix.Close(fd)
	buf := make([]byte, msgsize)
	for i := 0; ; i++ {
		n, prio, err := mqReceive(fd, buf)
		if errors.Is(err, unix.EAGAIN) {
			if i != len(want) {
				return fmt.Errorf("POSIX %q: received %d messages, want %d", name, i, len(want))
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("mq_receive(%q): %v", name, err)
		}
		if i >= len(want) {
			return fmt.Errorf("POSIX %q: more than %d messages", name, len(want))
		}
		if prio != want[i].prio || !bytes.Equal(buf[:n], want[i].data) {
			return fmt.Errorf("POSIX %q message %d: received prio %d %q, want prio %d %q", name, i, prio, short(buf[:n]), want[i].prio, short(want[i].data))
		}
	}
}

func drainSysV(id int, want []smsg) error {
	buf := make([]byte, 8+65536)
	for i := 0; ; i++ {
		typ, data, err := msgrcv(id, buf)
		if errors.Is(err, unix.ENOMSG) {
			if i != len(want) {
				return fmt.Errorf("SysV %d: received %d messages, want %d", id, i, len(want))
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("msgrcv(%d): %v", id, err)
		}
		if i >= len(want) {
			return fmt.Errorf("SysV %d: more than %d messages", id, len(want))
		}
		if typ != want[i].typ || !bytes.Equal(data, want[i].data) {
			return fmt.Errorf("SysV %d message %d: received type %d %q, want type %d %q", id, i, typ, short(data), want[i].typ, short(want[i].data))
		}
	}
}

// drainAsDumped receives everything d lists, in the namespace of the caller.
func drainAsDumped(d *dumpFile) error {
	for _, q := range d.POSIX {
		name := q.Name
		if q.NameBase64 != "" {
			b, _ := base64.StdEncoding.DecodeString(q.NameBase64)
			name = string(b)
		}
		var want []pmsg
		for _, m := range q.Messages {
			want = append(want, pmsg{m.Priority, m.Data})
		}
		if err := drainPOSIX(name, q.MsgSize, want); err != nil {
			return err
		}
	}
	for _, q := range d.SysV {
		var want []smsg
		for _, m := range q.Messages {
			want = append(want, smsg{m.Type, m.Data})
		}
		if err := drainSysV(q.ID, want); err != nil {
			return err
		}
	}
	return nil
}

// ---- running mqdump ----

func run(bin string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("mqdump %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	if errb.Len() > 0 {
		fmt.Printf("mqdump %s (stderr): %s", strings.Join(args, " "), errb.String())
	}
	return out.String(), nil
}

func logf(format string, args ...any) { fmt.Printf("mqtool: "+format+"\n", args...) }

// ---- the scenario ----

func scenario(args []string) error {
	fs := flag.NewFlagSet("scenario", flag.ExitOnError)
	bin := fs.String("mqdump", "", "the mqdump binary")
	posixKind := fs.String("posix", "full", "POSIX queues: full, empty (no messages) or none")
	work := fs.String("work", "", "directory for the dump files (default: a new temporary directory)")
	privateMounts := fs.Bool("private-mounts", false, "make every mount private first (when started in a new mount namespace)")
	devMqueue := fs.Bool("mount-dev-mqueue", false, "mount this namespace's mqueue on /dev/mqueue (creating it) first; the restore child then sees another namespace's queues there, which mqdump must notice")
	fs.Parse(args)
	if *bin == "" {
		return fmt.Errorf("-mqdump is required")
	}
	if *privateMounts {
		if err := unix.Mount("none", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			return fmt.Errorf("making mounts private: %v", err)
		}
	}
	if *devMqueue {
		if err := os.MkdirAll("/dev/mqueue", 0o755); err != nil {
			return err
		}
		if err := unix.Mount("mqueue", "/dev/mqueue", "mqueue", 0, ""); err != nil {
			return fmt.Errorf("mounting mqueue on /dev/mqueue: %v", err)
		}
	}
	if *work == "" {
		dir, err := os.MkdirTemp("", "mqtool-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		*work = dir
	}
	d1, d1b, d2 := filepath.Join(*work, "d1.json"), filepath.Join(*work, "d1b.json"), filepath.Join(*work, "d2.json")

	before, err := run(*bin, "list")
	if err != nil {
		return err
	}
	if !strings.Contains(before, "POSIX message queues") || !strings.Contains(before, "SysV message queues: 0") {
		return fmt.Errorf("scenario needs a fresh IPC namespace; mqdump list says:\n%s", before)
	}
	ps, ss := posixSpecs(*posixKind), sysvSpecs()
	if err := fillPOSIX(ps); err != nil {
		return fmt.Errorf("filling POSIX queues: %v", err)
	}
	if err := fillSysV(ss); err != nil {
		return fmt.Errorf("filling SysV queues: %v", err)
	}
	logf("filled %d POSIX queues (%s) and %d SysV queues, one removed (CAP_SYS_RESOURCE: %v)", len(ps), *posixKind, len(ss), hasCap(capSysResource))

	// 1. list and dump twice.
	list1, err := run(*bin, "list")
	if err != nil {
		return err
	}
	fmt.Print(list1)
	if *devMqueue && !strings.Contains(list1, "POSIX message queues (/dev/mqueue)") {
		return fmt.Errorf("mqdump list does not use /dev/mqueue, which shows this namespace's queues")
	}
	if _, err := run(*bin, "dump", d1); err != nil {
		return err
	}
	list2, err := run(*bin, "list")
	if err != nil {
		return err
	}
	if _, err := run(*bin, "dump", d1b); err != nil {
		return err
	}
	if list1 != list2 {
		return fmt.Errorf("mqdump list changed across a dump:\n%s\nthen:\n%s", list1, list2)
	}
	dump1, raw1, err := readDump(d1)
	if err != nil {
		return err
	}
	raw1b, _ := os.ReadFile(d1b)
	if !bytes.Equal(raw1, raw1b) {
		return fmt.Errorf("a second dump differs from the first")
	}
	fmt.Printf("DUMP1 %s\n", base64.StdEncoding.EncodeToString(raw1))

	// 2. the dump says what was created.
	if err := checkDump(dump1, ps, ss); err != nil {
		return fmt.Errorf("dump does not match the queues created: %v", err)
	}
	logf("dump matches the queues created; list and dump unchanged by dumping")

	// 3. restoring over existing queues fails and changes nothing.
	if out, err := run(*bin, "restore", d1); err == nil {
		return fmt.Errorf("mqdump restore into the source namespace succeeded: %s", out)
	} else {
		logf("restore into the non-fresh namespace failed as it should: %v", err)
	}

	// 4. restore into a new IPC namespace.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	child := exec.Command(self, "restore-child", "-mqdump", *bin, "-in", d1, "-out", d2, "-foreign-dev-mqueue="+strconv.FormatBool(*devMqueue))
	child.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWIPC}
	child.Stdout, child.Stderr = os.Stdout, os.Stderr
	if err := child.Run(); err != nil {
		return fmt.Errorf("restore-child in a new IPC namespace: %v", err)
	}
	// 5. the source queues still hold everything, in order.
	again, err := run(*bin, "list")
	if err != nil {
		return err
	}
	if again != list1 {
		return fmt.Errorf("source queues changed: list was\n%s\nnow\n%s", list1, again)
	}
	for _, s := range ps {
		if err := drainPOSIX(s.name, s.msgsize, receiveOrder(s.msgs)); err != nil {
			return fmt.Errorf("source: %v", err)
		}
	}
	for _, s := range ss {
		if !s.remove {
			if err := drainSysV(s.id, s.msgs); err != nil {
				return fmt.Errorf("source: %v", err)
			}
		}
	}
	logf("source queues untouched: every message received in order")

	// 6. the round trip is exact.
	raw2, err := os.ReadFile(d2)
	if err != nil {
		return err
	}
	fmt.Printf("DUMP2 %s\n", base64.StdEncoding.EncodeToString(raw2))
	if !bytes.Equal(raw1, raw2) {
		return fmt.Errorf("dump after restore differs from the original dump")
	}
	logf("dump -> restore -> dump is byte-identical (%d bytes)", len(raw1))

	// 7. without F_MQ_PEEK, messages in POSIX queues are a clear error.
	if *posixKind == "empty" {
		attr := mqAttr{Maxmsg: 2, Msgsize: 8}
		fd, err := mqOpen("/mqd.peek", unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, &attr)
		if err != nil {
			return fmt.Errorf("mq_open(/mqd.peek): %v", err)
		}
		if err := mqSend(fd, []byte("x"), 1); err != nil {
			return err
		}
		unix.Close(fd)
		d3 := filepath.Join(*work, "d3.json")
		_, err = run(*bin, "dump", d3)
		if err == nil || !strings.Contains(err.Error(), "F_MQ_PEEK") || !strings.Contains(err.Error(), "/mqd.peek") {
			return fmt.Errorf("dump with a message in a POSIX queue and no F_MQ_PEEK: want a clear error naming F_MQ_PEEK and the queue, got %v", err)
		}
		if _, statErr := os.Stat(d3); statErr == nil {
			return fmt.Errorf("failed dump left %s behind", d3)
		}
		logf("without F_MQ_PEEK: %v", err)
	}
	fmt.Println("SCENARIO OK")
	return nil
}

func restoreChild(args []string) error {
	fs := flag.NewFlagSet("restore-child", flag.ExitOnError)
	bin := fs.String("mqdump", "", "the mqdump binary")
	in := fs.String("in", "", "dump to restore")
	out := fs.String("out", "", "where to dump the restored namespace")
	foreign := fs.Bool("foreign-dev-mqueue", false, "/dev/mqueue shows another namespace's queues")
	fs.Parse(args)
	empty, err := run(*bin, "list")
	if err != nil {
		return err
	}
	if *foreign {
		if !strings.Contains(empty, "POSIX message queues (private mqueue mount)") {
			return fmt.Errorf("mqdump list uses /dev/mqueue, which shows another IPC namespace's queues:\n%s", empty)
		}
		logf("mqdump noticed that /dev/mqueue belongs to another IPC namespace")
	}
	if !strings.Contains(empty, "): 0\n") || !strings.Contains(empty, "SysV message queues: 0") {
		return fmt.Errorf("the new IPC namespace is not empty:\n%s", empty)
	}
	if _, err := run(*bin, "restore", *in); err != nil {
		return err
	}
	list, err := run(*bin, "list")
	if err != nil {
		return err
	}
	logf("restored into a new IPC namespace:")
	fmt.Print(list)
	if _, err := run(*bin, "dump", *out); err != nil {
		return err
	}
	d, _, err := readDump(*in)
	if err != nil {
		return err
	}
	if err := drainAsDumped(d); err != nil {
		return fmt.Errorf("restored queues: %v", err)
	}
	logf("restored queues: every message received in the dumped order")
	return nil
}
