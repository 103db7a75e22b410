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

// Syscall tests for System V message queues: System V message queues per IPC
// namespace: id allocation and msg_next_id, the limits in /proc/sys/kernel,
// /proc/sysvipc/msg, and util-linux ipcmk/ipcs/ipcrm.
// Shared helpers and conventions: msg_util.h.
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "msg_util.h"
#include "test_util.h"

namespace mqtest {
namespace {

// ===========================================================================
// Ids.

// Indexes are allocated cyclically (Linux: over [0, max(64, in_use*3/2))),
// so a freed index is not reused at once; when the allocation wraps around,
// the sequence number goes up and the id becomes seq * 32768 + index.
TEST(MsgqueueTest, IdsCycleThroughIndexesAndBumpSequence) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    for (int i = 0; i < 64; i++) {
      int id = msgget(IPC_PRIVATE, 0600);
      ASSERT_GE(id, 0) << strerror(errno);
      EXPECT_EQ(id, i);
      ASSERT_EQ(MsgCtl(id, IPC_RMID, nullptr), 0) << strerror(errno);
    }
    Queue q0 = Queue::Private(0600);
    ASSERT_TRUE(q0.ok()) << strerror(errno);
    EXPECT_EQ(q0.id(), 1 * kSeqMultiplier + 0);
    Queue q1 = Queue::Private(0600);
    ASSERT_TRUE(q1.ok()) << strerror(errno);
    EXPECT_EQ(q1.id(), 1 * kSeqMultiplier + 1);
    // The old ids of the reused slots are stale.
    struct msqid_ds ds = {};
    EXPECT_ERRNO(MsgCtl(0, IPC_STAT, &ds), EINVAL);
    EXPECT_ERRNO(MsgCtl(1, IPC_STAT, &ds), EINVAL);
    // MSG_STAT by index finds the new ids.
    EXPECT_EQ(MsgCtl(0, MSG_STAT, &ds), q0.id());
    EXPECT_EQ(MsgCtl(1, MSG_STAT, &ds), q1.id());
  });
}

TEST(MsgqueueTest, MsgNextIdPicksNextIdThenResets) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    EXPECT_EQ(ReadProcInt(kMsgNextId), -1);
    const int want = 7 * kSeqMultiplier + 12;
    ASSERT_EQ(WriteLongFile(kMsgNextId, want), 0);
    EXPECT_EQ(ReadProcInt(kMsgNextId), want);
    Queue q = Queue::Private(0600);
    ASSERT_TRUE(q.ok()) << strerror(errno);
    EXPECT_EQ(q.id(), want);
    EXPECT_EQ(ReadProcInt(kMsgNextId), -1);
    // The next queue is allocated normally (first free index of
    // a fresh namespace, sequence 0).
    Queue r = Queue::Private(0600);
    ASSERT_TRUE(r.ok()) << strerror(errno);
    EXPECT_EQ(r.id(), 0);
    // It also applies to keyed queues.
    ASSERT_EQ(WriteLongFile(kMsgNextId, 2 * kSeqMultiplier + 40), 0);
    Queue k(msgget(0x4d51, IPC_CREAT | IPC_EXCL | 0600));
    ASSERT_TRUE(k.ok()) << strerror(errno);
    EXPECT_EQ(k.id(), 2 * kSeqMultiplier + 40);
    EXPECT_EQ(msgget(0x4d51, 0), k.id());
    EXPECT_EQ(ReadProcInt(kMsgNextId), -1);
  });
}

TEST(MsgqueueTest, StaleIdAfterSlotReuseIsEinval) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    const int old_id = 7;
    const int new_id = kSeqMultiplier + 7;  // same index 7
    ASSERT_EQ(WriteLongFile(kMsgNextId, old_id), 0);
    Queue old_q = Queue::Private(0600);
    ASSERT_EQ(old_q.id(), old_id) << strerror(errno);
    old_q.reset();
    ASSERT_EQ(WriteLongFile(kMsgNextId, new_id), 0);
    Queue q = Queue::Private(0600);
    ASSERT_EQ(q.id(), new_id) << strerror(errno);
    ASSERT_OK(Send(new_id, 1, "x"));

    struct msqid_ds ds = {};
    Received m;
    EXPECT_ERRNO(MsgCtl(old_id, IPC_STAT, &ds), EINVAL);
    EXPECT_ERRNO(Send(old_id, 1, "x", IPC_NOWAIT), EINVAL);
    EXPECT_ERRNO(Recv(old_id, &m, 64, 0, IPC_NOWAIT), EINVAL);
    ASSERT_EQ(MsgCtl(new_id, IPC_STAT, &ds), 0) << strerror(errno);
    EXPECT_ERRNO(MsgCtl(old_id, IPC_SET, &ds), EINVAL);
    EXPECT_ERRNO(MsgCtl(old_id, IPC_RMID, nullptr), EINVAL);
    // The live queue was not affected.
    ASSERT_EQ(MsgCtl(new_id, IPC_STAT, &ds), 0) << strerror(errno);
    EXPECT_EQ(ds.msg_qnum, 1u);
  });
}

// ===========================================================================
// Limits in /proc/sys/kernel and /proc/sysvipc/msg.

TEST(MsgqueueTest, NewNamespaceHasDefaultLimits) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    EXPECT_EQ(ReadProcInt(kMsgmax), kDefaultMsgmax);
    EXPECT_EQ(ReadProcInt(kMsgmnb), kDefaultMsgmnb);
    EXPECT_EQ(ReadProcInt(kMsgmni), kDefaultMsgmni);
    EXPECT_EQ(ReadProcInt(kMsgNextId), -1);
  });
}

TEST(MsgqueueTest, LimitsAreWritablePerNamespace) {
  long host_msgmnb = ReadProcInt(kMsgmnb);
  long host_msgmax = ReadProcInt(kMsgmax);
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    Queue before = Queue::Private(0600);
    ASSERT_TRUE(before.ok()) << strerror(errno);

    ASSERT_EQ(WriteLongFile(kMsgmnb, 1000), 0);
    EXPECT_EQ(ReadProcInt(kMsgmnb), 1000);
    Queue after = Queue::Private(0600);
    ASSERT_TRUE(after.ok()) << strerror(errno);
    struct msqid_ds ds = {};
    ASSERT_EQ(MsgCtl(after.id(), IPC_STAT, &ds), 0);
    EXPECT_EQ(ds.msg_qbytes, 1000u);
    // Existing queues keep their qbytes.
    ASSERT_EQ(MsgCtl(before.id(), IPC_STAT, &ds), 0);
    EXPECT_EQ(ds.msg_qbytes, static_cast<unsigned long>(kDefaultMsgmnb));

    ASSERT_EQ(WriteLongFile(kMsgmax, 100), 0);
    EXPECT_EQ(ReadProcInt(kMsgmax), 100);
    EXPECT_ERRNO(Send(after.id(), 1, std::string(101, 'x'), IPC_NOWAIT),
                 EINVAL);
    EXPECT_OK(Send(after.id(), 1, std::string(100, 'x'), IPC_NOWAIT));
  });
  // The host namespace is unaffected.
  EXPECT_EQ(ReadProcInt(kMsgmnb), host_msgmnb);
  EXPECT_EQ(ReadProcInt(kMsgmax), host_msgmax);
}

TEST(MsgqueueTest, ProcSysvipcMsgListsQueues) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    const key_t key = 0x1234abcd;
    const key_t negative_key = static_cast<key_t>(0xfedcba98u);
    Queue q(msgget(key, IPC_CREAT | IPC_EXCL | 0640));
    ASSERT_TRUE(q.ok()) << strerror(errno);
    Queue n(msgget(negative_key, IPC_CREAT | IPC_EXCL | 0600));
    ASSERT_TRUE(n.ok()) << strerror(errno);
    ASSERT_NO_FATAL_FAILURE(SendAll(q.id(), {{1, "abcd"}, {2, "efg"}}));

    std::string contents;
    ASSERT_TRUE(ReadFileString("/proc/sysvipc/msg", &contents))
        << strerror(errno);
    std::istringstream in(contents);
    std::string header;
    ASSERT_TRUE(std::getline(in, header));
    EXPECT_EQ(header,
              "       key      msqid perms      cbytes       qnum "
              "lspid lrpid   uid   gid  cuid  cgid      stime      "
              "rtime      ctime");
    int rows = 0;
    bool found_q = false, found_n = false;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      rows++;
      long k, id, cbytes, qnum, lspid, lrpid, uid, gid, cuid, cgid;
      unsigned perms;
      long long stime, rtime, ctime;
      ASSERT_EQ(sscanf(line.c_str(),
                       "%ld %ld %o %ld %ld %ld %ld %ld %ld %ld %ld "
                       "%lld %lld %lld",
                       &k, &id, &perms, &cbytes, &qnum, &lspid,
                       &lrpid, &uid, &gid, &cuid, &cgid, &stime,
                       &rtime, &ctime),
                14)
          << line;
      if (id == q.id()) {
        found_q = true;
        EXPECT_EQ(k, key);  // printed as a signed decimal
        EXPECT_EQ(perms, 0640u);
        EXPECT_EQ(cbytes, 7);
        EXPECT_EQ(qnum, 2);
        EXPECT_EQ(lspid, getpid());
        EXPECT_EQ(lrpid, 0);
        EXPECT_EQ(uid, 0);
        EXPECT_EQ(gid, 0);
        EXPECT_EQ(cuid, 0);
        EXPECT_EQ(cgid, 0);
        EXPECT_GT(stime, 0);
        EXPECT_EQ(rtime, 0);
        EXPECT_GT(ctime, 0);
      } else if (id == n.id()) {
        found_n = true;
        EXPECT_EQ(k, static_cast<long>(negative_key));
        EXPECT_LT(k, 0);
        EXPECT_EQ(perms, 0600u);
        EXPECT_EQ(qnum, 0);
        EXPECT_EQ(stime, 0);
      }
    }
    EXPECT_TRUE(found_q) << contents;
    EXPECT_TRUE(found_n) << contents;
    EXPECT_EQ(rows, 2) << contents;

    // A removed queue disappears.
    n.reset();
    ASSERT_TRUE(ReadFileString("/proc/sysvipc/msg", &contents));
    int lines = 0;
    for (char ch : contents) lines += ch == '\n';
    EXPECT_EQ(lines, 2) << contents;
  });
}

// ===========================================================================
// util-linux ipcmk / ipcs / ipcrm.

// Runs argv[0] with stdout captured; returns the exit status.
int RunCommand(const std::vector<std::string>& argv, std::string* out) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const std::string& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    char* envp[] = {const_cast<char*>("LC_ALL=C"),
                    const_cast<char*>("PATH=/usr/bin:/bin"), nullptr};
    execve(args[0], args.data(), envp);
    _exit(127);
  }
  close(fds[1]);
  out->clear();
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) out->append(buf, n);
  close(fds[0]);
  return WaitChild(pid, kChildTimeoutMs);
}

// Whether some line of `ipcs -q` output has id in its msqid column.
bool IpcsListsId(const std::string& output, int id) {
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key, msqid;
    if (!(fields >> key >> msqid)) continue;
    if (key.rfind("0x", 0) == 0 && msqid == std::to_string(id)) return true;
  }
  return false;
}

TEST(MsgqueueTest, IpcmkIpcsIpcrm) {
  for (const char* bin :
       {"/usr/bin/ipcmk", "/usr/bin/ipcs", "/usr/bin/ipcrm"}) {
    if (access(bin, X_OK) != 0) GTEST_SKIP() << bin << " is missing";
  }
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    std::string out;
    ASSERT_EQ(RunCommand({"/usr/bin/ipcmk", "-Q"}, &out), 0) << out;
    size_t pos = out.find("id: ");
    ASSERT_NE(pos, std::string::npos) << out;
    int id = atoi(out.c_str() + pos + 4);
    Queue q(id);  // removed if ipcrm fails
    struct msqid_ds ds = {};
    ASSERT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
    EXPECT_EQ(ds.msg_perm.mode, 0644);  // ipcmk's default

    ASSERT_EQ(RunCommand({"/usr/bin/ipcs", "-q"}, &out), 0) << out;
    EXPECT_TRUE(IpcsListsId(out, id)) << out;

    ASSERT_EQ(RunCommand({"/usr/bin/ipcrm", "-q", std::to_string(id)},
                         &out),
              0)
        << out;
    EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &ds), EINVAL);
    q.release();

    ASSERT_EQ(RunCommand({"/usr/bin/ipcs", "-q"}, &out), 0) << out;
    EXPECT_FALSE(IpcsListsId(out, id)) << out;
  });
}

// Reads the lspid and lrpid of queue id from /proc/sysvipc/msg; false if
// the file cannot be read or has no row for id.
bool ProcSysvipcMsgPids(int id, long* lspid, long* lrpid) {
  std::string contents;
  if (!ReadFileString("/proc/sysvipc/msg", &contents)) return false;
  std::istringstream in(contents);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    long key, qid, cbytes, qnum;
    unsigned perms;
    if (sscanf(line.c_str(), "%ld %ld %o %ld %ld %ld %ld", &key, &qid, &perms,
               &cbytes, &qnum, lspid, lrpid) == 7 &&
        qid == id) {
      return true;
    }
  }
  return false;
}

// msgctl(IPC_STAT) and /proc/sysvipc/msg show pids as the reader's PID
// namespace sees them: for the file, Linux's sysvipc_proc_open takes the
// opener's namespace, not the one of the procfs mount (here the parent's).
TEST(MsgqueueTest, PidsShowInReadersPidNamespace) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    Queue q = Queue::Private(0600);
    ASSERT_TRUE(q.ok()) << strerror(errno);
    const int id = q.id();
    // This process stays in its PID namespace; its next child is pid 1 of
    // a new one.
    ASSERT_EQ(unshare(CLONE_NEWPID), 0) << strerror(errno);
    AsyncChild sender([id] {
      ASSERT_EQ(getpid(), 1);
      ASSERT_OK(Send(id, 1, "x"));
      struct msqid_ds ds = {};
      ASSERT_OK(MsgCtl(id, IPC_STAT, &ds));
      EXPECT_EQ(ds.msg_lspid, 1);
      long lspid = -1, lrpid = -1;
      ASSERT_TRUE(ProcSysvipcMsgPids(id, &lspid, &lrpid)) << strerror(errno);
      EXPECT_EQ(lspid, 1);
      EXPECT_EQ(lrpid, 0);
    });
    ASSERT_TRUE(sender.started()) << strerror(errno);
    const pid_t sender_pid = sender.pid();
    ASSERT_EQ(sender.Wait(), 0);
    MaybeSave();  // the pids of an exited sender survive a checkpoint

    Received r;
    ASSERT_OK(Recv(id, &r, 16, 0, IPC_NOWAIT));
    struct msqid_ds ds = {};
    ASSERT_OK(MsgCtl(id, IPC_STAT, &ds));
    EXPECT_EQ(ds.msg_lspid, sender_pid);
    EXPECT_EQ(ds.msg_lrpid, getpid());
    long lspid = -1, lrpid = -1;
    ASSERT_TRUE(ProcSysvipcMsgPids(id, &lspid, &lrpid)) << strerror(errno);
    EXPECT_EQ(lspid, sender_pid);
    EXPECT_EQ(lrpid, getpid());
  });
}

}  // namespace
}  // namespace mqtest
