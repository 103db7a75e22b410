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
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Constants that golang.org/x/sys/unix does not define.
const (
	fMqPeek     = 1041       // fcntl F_MQ_PEEK: F_LINUX_SPECIFIC_BASE + 17
	mqueueMagic = 0x19800202 // statfs f_type of an mqueue filesystem

	ipcInfo    = 3
	msgStat    = 11
	msgInfo    = 12
	msgStatAny = 13
	msgCopy    = 0o40000
)

// mqAttr is struct mq_attr.
type mqAttr struct {
	Flags   int64
	Maxmsg  int64
	Msgsize int64
	Curmsgs int64
	_       [4]int64
}

// mqPeekAttr is struct mq_peek_attr (24 bytes on 64-bit).
type mqPeekAttr struct {
	Offset  int32
	MsgPrio uint32
	BufLen  uint64
	Buf     unsafe.Pointer
}

// msqidDS is struct msqid64_ds of the 64-bit ABIs (amd64, arm64: 120 bytes).
type msqidDS struct {
	Perm   unix.SysvIpcPerm
	Stime  int64
	Rtime  int64
	Ctime  int64
	Cbytes uint64
	Qnum   uint64
	Qbytes uint64
	Lspid  int32
	Lrpid  int32
	_      [2]uint64
}

// msgInfoT is struct msginfo.
type msgInfoT struct {
	Msgpool int32
	Msgmap  int32
	Msgmax  int32
	Msgmnb  int32
	Msgmni  int32
	Msgssz  int32
	Msgtql  int32
	Msgseg  uint16
}

var (
	_ [24 - unsafe.Sizeof(mqPeekAttr{})]byte
	_ [unsafe.Sizeof(mqPeekAttr{}) - 24]byte
	_ [120 - unsafe.Sizeof(msqidDS{})]byte
	_ [unsafe.Sizeof(msqidDS{}) - 120]byte
	_ [64 - unsafe.Sizeof(mqAttr{})]byte
)

// mqOpen calls mq_open(2). name includes the leading '/'; like glibc, it is
// passed to the kernel without it.
func mqOpen(name string, flags int, mode uint32, attr *mqAttr) (int, error) {
	if len(name) < 2 || name[0] != '/' {
		return -1, fmt.Errorf("invalid POSIX queue name %q", name)
	}
	p, err := unix.BytePtrFromString(name[1:])
	if err != nil {
		return -1, err
	}
	fd, _, errno := unix.Syscall6(unix.SYS_MQ_OPEN, uintptr(unsafe.Pointer(p)), uintptr(flags), uintptr(mode), uintptr(unsafe.Pointer(attr)), 0, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

func mqGetattr(fd int) (mqAttr, error) {
	var a mqAttr
	_, _, errno := unix.Syscall(unix.SYS_MQ_GETSETATTR, uintptr(fd), 0, uintptr(unsafe.Pointer(&a)))
	if errno != 0 {
		return a, errno
	}
	return a, nil
}

// mqSend calls mq_timedsend(2) without a timeout.
func mqSend(fd int, data []byte, prio uint32) error {
	var one [1]byte
	p := unsafe.Pointer(&one[0])
	if len(data) > 0 {
		p = unsafe.Pointer(&data[0])
	}
	_, _, errno := unix.Syscall6(unix.SYS_MQ_TIMEDSEND, uintptr(fd), uintptr(p), uintptr(len(data)), uintptr(prio), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// mqPeek calls fcntl(fd, F_MQ_PEEK) for the message at offset (in receive
// order) and returns the number of bytes copied into buf and its priority.
func mqPeek(fd int, offset int32, buf []byte) (int, uint32, error) {
	attr := &mqPeekAttr{Offset: offset, BufLen: uint64(len(buf)), Buf: unsafe.Pointer(&buf[0])}
	n, _, errno := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), fMqPeek, uintptr(unsafe.Pointer(attr)))
	if errno != 0 {
		return 0, 0, errno
	}
	return int(n), attr.MsgPrio, nil
}

func msgctl(id int, cmd int, buf unsafe.Pointer) (int, error) {
	r, _, errno := unix.Syscall(unix.SYS_MSGCTL, uintptr(id), uintptr(cmd), uintptr(buf))
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

func msgget(key int32, flags int) (int, error) {
	r, _, errno := unix.Syscall(unix.SYS_MSGGET, uintptr(key), uintptr(flags), 0)
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

// msgsnd sends one message; buf must hold the 8-byte mtype followed by the
// payload.
func msgsnd(id int, buf []byte, flags int) error {
	_, _, errno := unix.Syscall6(unix.SYS_MSGSND, uintptr(id), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)-8), uintptr(flags), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// msgrcv receives into buf (8-byte mtype, then at most len(buf)-8 bytes of
// payload) and returns the payload length.
func msgrcv(id int, buf []byte, typ int64, flags int) (int, error) {
	r, _, errno := unix.Syscall6(unix.SYS_MSGRCV, uintptr(id), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)-8), uintptr(typ), uintptr(flags), 0)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}

// errnoIs reports whether err is the errno e.
func errnoIs(err error, e unix.Errno) bool {
	return errors.Is(err, e)
}
