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
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

const msgNextIDPath = "/proc/sys/kernel/msg_next_id"

// sysvInfo is what list shows of a SysV queue.
type sysvInfo struct {
	id int
	ds msqidDS
}

// listSysV enumerates the namespace's SysV queues: msgctl(MSG_INFO) gives the
// highest used index, then MSG_STAT_ANY (or MSG_STAT where the kernel lacks
// it) each index up to it. Ids come out ascending by index, not by id; the
// caller sorts.
func listSysV() ([]sysvInfo, error) {
	var mi msgInfoT
	maxIdx, err := msgctl(0, msgInfo, unsafe.Pointer(&mi))
	if err != nil {
		return nil, fmt.Errorf("msgctl(MSG_INFO): %v", err)
	}
	statCmd := msgStatAny
	var out []sysvInfo
	for idx := 0; idx <= maxIdx; idx++ {
		var ds msqidDS
		id, err := msgctl(idx, statCmd, unsafe.Pointer(&ds))
		if err != nil && errnoIs(err, unix.EINVAL) && statCmd == msgStatAny {
			// EINVAL is both "no queue at idx" and "unknown command":
			// if MSG_STAT finds a queue there, MSG_STAT_ANY is missing.
			if id2, err2 := msgctl(idx, msgStat, unsafe.Pointer(&ds)); err2 == nil {
				statCmd, id, err = msgStat, id2, nil
			}
		}
		switch {
		case err == nil:
			out = append(out, sysvInfo{id: id, ds: ds})
		case errnoIs(err, unix.EINVAL) || errnoIs(err, unix.EIDRM):
			// free index
		default:
			return nil, fmt.Errorf("msgctl(%d, %s): %v", idx, statName(statCmd), err)
		}
	}
	return out, nil
}

func statName(cmd int) string {
	if cmd == msgStatAny {
		return "MSG_STAT_ANY"
	}
	return "MSG_STAT"
}

// dumpSysV reads every SysV queue with its messages (msgrcv MSG_COPY).
func dumpSysV() ([]SysVQueue, error) {
	infos, err := listSysV()
	if err != nil {
		return nil, err
	}
	var out []SysVQueue
	for _, in := range infos {
		q := SysVQueue{
			ID:     int32(in.id),
			Key:    in.ds.Perm.Key,
			Mode:   formatMode(in.ds.Perm.Mode & 0o777),
			UID:    in.ds.Perm.Uid,
			GID:    in.ds.Perm.Gid,
			QBytes: in.ds.Qbytes,
		}
		msgs, err := copyAll(in.id, in.ds)
		if err != nil {
			return nil, fmt.Errorf("SysV queue %d: %v", in.id, err)
		}
		q.Messages = msgs
		q.QNum = uint64(len(msgs))
		out = append(out, q)
	}
	return out, nil
}

// copyAll reads the queue's messages in order with msgrcv(MSG_COPY), which
// takes msgtyp as an index and removes nothing.
func copyAll(id int, ds msqidDS) ([]SysVMessage, error) {
	// No message is longer than all the bytes queued.
	size := ds.Cbytes
	if size < 1 {
		size = 1
	}
	buf := make([]byte, 8+size)
	var msgs []SysVMessage
	for i := uint64(0); ; i++ {
		n, err := msgrcv(id, buf, int64(i), msgCopy|unix.IPC_NOWAIT)
		if errnoIs(err, unix.ENOMSG) {
			if i != ds.Qnum {
				return nil, fmt.Errorf("msg_qnum was %d but MSG_COPY found %d messages (is the queue in use?)", ds.Qnum, i)
			}
			return msgs, nil
		}
		if err != nil {
			hint := ""
			if errnoIs(err, unix.ENOSYS) || (i == 0 && errnoIs(err, unix.EINVAL)) {
				hint = " (does this kernel support MSG_COPY? Linux needs CONFIG_CHECKPOINT_RESTORE; a message longer than msgmax also gives EINVAL)"
			}
			return nil, fmt.Errorf("msgrcv(MSG_COPY|IPC_NOWAIT, index %d): %v%s", i, err, hint)
		}
		if i >= ds.Qnum {
			return nil, fmt.Errorf("msg_qnum was %d but MSG_COPY returned a message at index %d (is the queue in use?)", ds.Qnum, i)
		}
		typ := int64(binary.NativeEndian.Uint64(buf[:8]))
		msgs = append(msgs, SysVMessage{Type: typ, Data: base64.StdEncoding.EncodeToString(buf[8 : 8+n])})
	}
}

// checkSysVAbsent fails if a queue with one of the ids or keys exists.
func checkSysVAbsent(qs []SysVQueue) error {
	var clash []string
	for _, q := range qs {
		var ds msqidDS
		_, err := msgctl(int(q.ID), unix.IPC_STAT, unsafe.Pointer(&ds))
		if err == nil || errnoIs(err, unix.EACCES) {
			clash = append(clash, fmt.Sprintf("id %d", q.ID))
		}
		if q.Key != 0 {
			if _, err := msgget(q.Key, 0); err == nil || errnoIs(err, unix.EACCES) {
				clash = append(clash, fmt.Sprintf("key %#x", uint32(q.Key)))
			}
		}
	}
	if len(clash) > 0 {
		return fmt.Errorf("SysV queue(s) with %s exist already: restore needs a fresh IPC namespace (e.g. unshare --ipc)", strings.Join(clash, ", "))
	}
	return nil
}

func checkMsgNextID() error {
	if _, err := os.Stat(msgNextIDPath); err != nil {
		return fmt.Errorf("cannot restore SysV queues at their ids: %s is missing (%v); Linux needs CONFIG_CHECKPOINT_RESTORE", msgNextIDPath, err)
	}
	return nil
}

// restoreSysV creates one queue at its id with its messages.
func restoreSysV(q *SysVQueue) error {
	if err := os.WriteFile(msgNextIDPath, []byte(strconv.Itoa(int(q.ID))), 0); err != nil {
		return fmt.Errorf("SysV queue %d: writing %s: %v", q.ID, msgNextIDPath, err)
	}
	id, err := msgget(q.Key, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		return fmt.Errorf("SysV queue %d: msgget(key %#x, IPC_CREAT|IPC_EXCL) after writing %d to %s: %v", q.ID, uint32(q.Key), q.ID, msgNextIDPath, err)
	}
	if id != int(q.ID) {
		return fmt.Errorf("SysV queue %d: msgget created id %d after %d was written to %s (the kernel ignored msg_next_id)", q.ID, id, q.ID, msgNextIDPath)
	}
	mode, _ := parseMode(q.Mode, 0o777)
	var ds msqidDS
	if _, err := msgctl(id, unix.IPC_STAT, unsafe.Pointer(&ds)); err != nil {
		return fmt.Errorf("SysV queue %d: IPC_STAT: %v", id, err)
	}
	// Room for every message while sending, whatever the final qbytes.
	var total uint64
	datas := make([][]byte, len(q.Messages))
	for i, m := range q.Messages {
		datas[i], _ = base64.StdEncoding.DecodeString(m.Data)
		total += uint64(len(datas[i]))
	}
	need := max(total, uint64(len(datas)))
	if ds.Qbytes < need {
		ds.Qbytes = need
		if _, err := msgctl(id, unix.IPC_SET, unsafe.Pointer(&ds)); err != nil {
			return fmt.Errorf("SysV queue %d: IPC_SET qbytes %d (room for its messages; above msgmnb needs CAP_SYS_RESOURCE): %v", id, need, err)
		}
	}
	for i, data := range datas {
		buf := make([]byte, 8+len(data))
		binary.NativeEndian.PutUint64(buf[:8], uint64(q.Messages[i].Type))
		copy(buf[8:], data)
		if err := msgsnd(id, buf, unix.IPC_NOWAIT); err != nil {
			hint := ""
			if errnoIs(err, unix.EINVAL) {
				hint = " (longer than this namespace's /proc/sys/kernel/msgmax?)"
			}
			return fmt.Errorf("SysV queue %d: msgsnd of message %d (%d bytes, type %d): %v%s", id, i, len(data), q.Messages[i].Type, err, hint)
		}
	}
	ds.Perm.Uid, ds.Perm.Gid, ds.Perm.Mode, ds.Qbytes = q.UID, q.GID, mode, q.QBytes
	if _, err := msgctl(id, unix.IPC_SET, unsafe.Pointer(&ds)); err != nil {
		hint := ""
		if errnoIs(err, unix.EPERM) {
			hint = " (qbytes above /proc/sys/kernel/msgmnb needs CAP_SYS_RESOURCE)"
		}
		return fmt.Errorf("SysV queue %d: IPC_SET uid %d gid %d mode %04o qbytes %d: %v%s", id, q.UID, q.GID, mode, q.QBytes, err, hint)
	}
	return nil
}
