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

// Command mqdump lists, dumps and restores the message queues of an IPC
// namespace: POSIX queues (mq_overview(7)) and System V queues (msgop(2)).
// It is a static program (CGO_ENABLED=0) meant to run inside an mqsentry
// sandbox (bin/runsc) or natively.
//
// # Usage
//
//	mqdump list    [-mqueue DIR]
//	mqdump dump    [-mqueue DIR] FILE   (FILE "-" writes to stdout)
//	mqdump restore FILE                 (FILE "-" reads stdin)
//
// list prints two tables for the caller's IPC namespace: its POSIX queues
// (maxmsg, msgsize, curmsgs, mode, uid, gid, quoted name), headed by the
// directory it read them from ("/dev/mqueue", "private mqueue mount" or the
// -mqueue DIR), and its SysV queues (id, key, mode, uid, gid, qbytes, qnum).
//
// dump writes every queue and every message of the namespace to FILE in the
// JSON format below, without consuming anything: POSIX messages are read with
// fcntl(fd, F_MQ_PEEK) (1041, the March 2026 RFC; only mqsentry's runsc has
// it), SysV messages with msgrcv(MSG_COPY|IPC_NOWAIT) at each index. On a
// kernel without F_MQ_PEEK, dump fails (exit status 1, FILE not written) if
// any POSIX queue holds messages, naming those queues; empty POSIX queues and
// all SysV queues are dumped normally.
//
// restore recreates the queues of FILE in the caller's IPC namespace, which
// should be fresh (e.g. `unshare --ipc mqdump restore FILE`): POSIX queues with
// the same names, maxmsg, msgsize, mode, uid and gid and the same messages in
// the same receive order with the same priorities; SysV queues at the same
// ids (by writing each id to /proc/sys/kernel/msg_next_id before its msgget;
// restore fails if that file is missing), with the same keys, mode, uid, gid
// and qbytes (IPC_SET) and the same messages in the same order with the same
// types. Before creating anything it checks that no POSIX queue of the same
// name, no SysV queue of the same id and no SysV queue of the same key
// exists, so a clash does not leave a half-restored namespace. It raises its
// own RLIMIT_MSGQUEUE to unlimited when it may (the queues are charged to the
// restoring user), sets the umask to 0 so modes are exact, and needs the
// privileges to create queues beyond the namespace limits and to give them
// away (root: CAP_SYS_RESOURCE for queues beyond msg_max/msgsize_max and
// qbytes beyond msgmnb, CAP_CHOWN, and write access to msg_next_id). If it
// fails midway, the queues made so far stay; restore into another fresh
// namespace.
//
// A dump of a namespace, restored into a fresh namespace and dumped again,
// gives a byte-identical file.
//
// # Finding the POSIX queues
//
// Queue names come from a mounted mqueue filesystem. A mount of mqueue shows
// the queues of the IPC namespace of the task that mounted it, so after
// unshare(CLONE_NEWIPC) /dev/mqueue may still show another namespace's
// queues. mqdump therefore mounts a fresh mqueue instance on a private
// temporary directory (mode 0700) and, when /dev/mqueue is an mqueue
// filesystem with the same device, i.e. the same namespace, uses /dev/mqueue
// instead; otherwise it uses the private mount, which it unmounts when done.
// When it may not mount (no CAP_SYS_ADMIN) it uses /dev/mqueue if that is an
// mqueue filesystem. -mqueue DIR names the directory to use instead. The
// queues themselves are always opened by name with mq_open, in the caller's
// namespace; attributes come from mq_getattr and fstat on that descriptor.
//
// # JSON format (version "mqdump/1")
//
// The file is one JSON object, printed by encoding/json with two-space
// indentation and a final newline; object keys appear in the order below.
// Everything in it is a function of the queues' state alone (no times, pids,
// host names or creator ids), so the same queues always give the same bytes.
//
//	{
//	  "format": "mqdump/1",
//	  "posix": [ POSIXQUEUE... ],   // sorted by name, bytewise; [] if none
//	  "sysv":  [ SYSVQUEUE... ]     // sorted by id, ascending; [] if none
//	}
//
// A POSIXQUEUE:
//
//	{
//	  "name": "/orders",          // as given to mq_open: "/" + the mqueue file name
//	  "name_base64": "...",       // instead of "name" when the name is not valid UTF-8:
//	                              // standard base64 (with padding) of the name's bytes,
//	                              // including the leading "/"
//	  "mode": "0640",             // permission bits, octal string ("%04o" of mode&07777)
//	  "uid": 0,                   // owner
//	  "gid": 0,
//	  "maxmsg": 10,               // mq_attr.mq_maxmsg
//	  "msgsize": 8192,            // mq_attr.mq_msgsize
//	  "curmsgs": 2,               // mq_attr.mq_curmsgs; always len(messages)
//	  "messages": [               // in receive order: what mq_receive would return
//	    {"priority": 5, "data": "aGVsbG8="},   // first, then next, ...; [] if none
//	    {"priority": 0, "data": ""}
//	  ]
//	}
//
// A SYSVQUEUE:
//
//	{
//	  "id": 32769,                // msqid (msgget's result)
//	  "key": 1297154049,          // the key_t as a signed decimal; 0 is IPC_PRIVATE
//	  "mode": "0600",             // permission bits, octal string ("%04o" of mode&0777)
//	  "uid": 0,                   // owner (msg_perm.uid/gid; creator ids are not kept)
//	  "gid": 0,
//	  "qbytes": 16384,            // msg_qbytes
//	  "qnum": 2,                  // msg_qnum; always len(messages)
//	  "messages": [               // in queue order (what msgrcv(msgtyp=0) would return first,
//	    {"type": 1, "data": "..."}, // then next, ...); [] if none
//	    {"type": 7, "data": ""}
//	  ]
//	}
//
// "data" is the payload in standard base64 with padding ("" for an empty
// message). restore rejects a file whose "format" is not "mqdump/1", that
// has unknown keys, or whose curmsgs/qnum disagree with its messages.
//
// Not kept: POSIX mq_flags (a property of each open description, not of the
// queue), notification registrations, SysV creator uid/gid (cuid/cgid become
// the restorer's), send/receive/change times and pids, and the namespace
// limits (/proc/sys/fs/mqueue/*, msgmax, msgmnb, msgmni).
package main
