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

// Syscall tests for System V message queues: msgctl(2) IPC_STAT, IPC_SET and
// IPC_RMID: who may do what, qbytes against msgmnb, and removal waking every
// waiter.
// Shared helpers and conventions: msg_util.h.
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "msg_util.h"
#include "test_util.h"

namespace mqtest {
namespace {

// ===========================================================================
// msgctl: IPC_STAT / IPC_SET

TEST(MsgqueueTest, IpcStatWithoutReadPermissionIsEacces) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  Queue r = Queue::Private(0604);
  ASSERT_TRUE(r.ok()) << strerror(errno);
  int id = q.id(), readable = r.id();
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(kNobody, kNobody, 0));
    struct msqid_ds ds = {};
    EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &ds), EACCES);
    EXPECT_EQ(MsgCtl(readable, IPC_STAT, &ds), 0) << strerror(errno);
    EXPECT_EQ(ds.msg_perm.mode, 0604);
  });
}

TEST(MsgqueueTest, IpcStatBadAddressIsEfault) {
  // The id is checked first: EINVAL for a removed queue.
  ExpectBadBufferErrnos(IPC_STAT, EINVAL);
}

TEST(MsgqueueTest, IpcSetUpdatesOwnerModeAndQbytes) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  struct msqid_ds ds = {};
  ASSERT_EQ(MsgCtl(q.id(), IPC_STAT, &ds), 0) << strerror(errno);
  uid_t cuid = ds.msg_perm.cuid;
  gid_t cgid = ds.msg_perm.cgid;
  ds.msg_perm.uid = 1234;
  ds.msg_perm.gid = 5678;
  ds.msg_perm.mode = 07777;  // only the low 9 bits are taken
  ds.msg_qbytes = 4000;
  ds.msg_qnum = 99;  // read-only fields are ignored
  time_t before = time(nullptr);
  ASSERT_EQ(MsgCtl(q.id(), IPC_SET, &ds), 0) << strerror(errno);
  time_t after = time(nullptr);
  struct msqid_ds got = {};
  ASSERT_EQ(MsgCtl(q.id(), IPC_STAT, &got), 0) << strerror(errno);
  EXPECT_EQ(got.msg_perm.uid, 1234u);
  EXPECT_EQ(got.msg_perm.gid, 5678u);
  EXPECT_EQ(got.msg_perm.cuid, cuid);
  EXPECT_EQ(got.msg_perm.cgid, cgid);
  EXPECT_EQ(got.msg_perm.mode, 0777);
  EXPECT_EQ(got.msg_qbytes, 4000u);
  EXPECT_EQ(got.msg_qnum, 0u);
  EXPECT_GE(got.msg_ctime, before);
  EXPECT_LE(got.msg_ctime, after);
}

TEST(MsgqueueTest, IpcSetByOwner) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  ASSERT_EQ(SetOwnerAndMode(id, 1001, 1001, 0600), 0) << strerror(errno);
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(1001, 1001, 0));
    EXPECT_EQ(SetOwnerAndMode(id, 1001, 1001, 0640), 0)
        << strerror(errno);
    // Give the queue away: no longer owner nor creator.
    EXPECT_EQ(SetOwnerAndMode(id, 1002, 1001, 0666), 0)
        << strerror(errno);
    EXPECT_ERRNO(SetOwnerAndMode(id, 1001, 1001, 0666), EPERM);
  });
  struct msqid_ds ds = {};
  ASSERT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(ds.msg_perm.uid, 1002u);
  EXPECT_EQ(ds.msg_perm.mode, 0666);
}

TEST(MsgqueueTest, IpcSetByCreator) {
  Queue q;
  ASSERT_NO_FATAL_FAILURE(CreateQueueGivenAway(0600, 0600, &q));
  int id = q.id();
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(1000, 1000, 0));
    EXPECT_EQ(SetOwnerAndMode(id, 2001, 2001, 0660), 0)
        << strerror(errno);
  });
  struct msqid_ds ds = {};
  ASSERT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(ds.msg_perm.mode, 0660);
  EXPECT_EQ(ds.msg_perm.uid, 2001u);
  EXPECT_EQ(ds.msg_perm.cuid, 1000u);
  EXPECT_EQ(ds.msg_perm.cgid, 1000u);
}

TEST(MsgqueueTest, IpcSetByCapSysAdmin) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  struct msqid_ds ds = {};
  ASSERT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
  unsigned long qbytes = ds.msg_qbytes;
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(
        DropPrivileges(kNobody, kNobody, CapBit(CAP_SYS_ADMIN)));
    struct msqid_ds set = {};
    // CAP_SYS_ADMIN does not grant read permission...
    EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &set), EACCES);
    // ...but does allow IPC_SET.
    set.msg_perm.uid = 0;
    set.msg_perm.gid = 0;
    set.msg_perm.mode = 0640;
    set.msg_qbytes = qbytes;
    EXPECT_EQ(MsgCtl(id, IPC_SET, &set), 0) << strerror(errno);
  });
  ASSERT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(ds.msg_perm.mode, 0640);
}

TEST(MsgqueueTest, IpcSetByOtherIsEperm) {
  Queue q = Queue::Private(0666);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  // CAP_IPC_OWNER does not help either.
  AsNobodyWithoutAndWithCapIpcOwner([&] {
    struct msqid_ds ds = {};
    ASSERT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
    ds.msg_perm.mode = 0600;
    EXPECT_ERRNO(MsgCtl(id, IPC_SET, &ds), EPERM);
  });
  struct msqid_ds ds = {};
  ASSERT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(ds.msg_perm.mode, 0666);
}

TEST(MsgqueueTest, IpcSetQbytesAboveMsgmnbWithoutCapSysResourceIsEperm) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    ASSERT_TRUE(DropCapability(CAP_SYS_RESOURCE)) << strerror(errno);
    ASSERT_EQ(WriteLongFile(kMsgmnb, 1000), 0);
    Queue q = Queue::Private(0600);
    ASSERT_TRUE(q.ok()) << strerror(errno);
    EXPECT_EQ(SetQbytes(q.id(), 1000), 0) << strerror(errno);
    EXPECT_ERRNO(SetQbytes(q.id(), 1001), EPERM);
    EXPECT_EQ(SetQbytes(q.id(), 100), 0) << strerror(errno);
    EXPECT_EQ(SetQbytes(q.id(), 1000), 0) << strerror(errno);

    // The check is on the new value, not on the change: once msgmnb is
    // lowered below the queue's qbytes, even an IPC_SET that keeps qbytes
    // unchanged, or lowers it to a value still above msgmnb, fails.
    ASSERT_EQ(WriteLongFile(kMsgmnb, 500), 0);
    EXPECT_ERRNO(SetOwnerAndMode(q.id(), 0, 0, 0600), EPERM);
    EXPECT_ERRNO(SetQbytes(q.id(), 800), EPERM);
    EXPECT_EQ(SetQbytes(q.id(), 500), 0) << strerror(errno);

    struct msqid_ds ds = {};
    ASSERT_EQ(MsgCtl(q.id(), IPC_STAT, &ds), 0) << strerror(errno);
    EXPECT_EQ(ds.msg_qbytes, 500u);
  });
}

TEST(MsgqueueTest, IpcSetQbytesAboveMsgmnbWithCapSysResource) {
  uint64_t eff, perm;
  ASSERT_TRUE(GetCaps(&eff, &perm)) << strerror(errno);
  if (!(eff & CapBit(CAP_SYS_RESOURCE))) {
    GTEST_SKIP() << "CAP_SYS_RESOURCE is not in the effective set";
  }
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    ASSERT_EQ(WriteLongFile(kMsgmnb, 1000), 0);
    Queue q = Queue::Private(0600);
    ASSERT_TRUE(q.ok()) << strerror(errno);
    EXPECT_EQ(SetQbytes(q.id(), 1001), 0) << strerror(errno);
    EXPECT_EQ(SetQbytes(q.id(), 100000), 0) << strerror(errno);
    struct msqid_ds ds = {};
    ASSERT_EQ(MsgCtl(q.id(), IPC_STAT, &ds), 0) << strerror(errno);
    EXPECT_EQ(ds.msg_qbytes, 100000u);
  });
}

TEST(MsgqueueTest, IpcSetBadAddressIsEfault) {
  // Linux copies the buffer in before looking the id up: EFAULT for a
  // removed queue too.
  ExpectBadBufferErrnos(IPC_SET, EFAULT);
}

// ===========================================================================
// msgctl: IPC_RMID

TEST(MsgqueueTest, IpcRmidUnknownIdIsEinval) {
  EXPECT_ERRNO(MsgCtl(-1, IPC_RMID, nullptr), EINVAL);
  int id;
  ASSERT_NO_FATAL_FAILURE(RemovedQueueId(&id));
  EXPECT_ERRNO(MsgCtl(id, IPC_RMID, nullptr), EINVAL);
}

TEST(MsgqueueTest, IpcRmidByOtherIsEperm) {
  Queue q = Queue::Private(0666);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  AsNobodyWithoutAndWithCapIpcOwner(
      [&] { EXPECT_ERRNO(MsgCtl(id, IPC_RMID, nullptr), EPERM); });
  struct msqid_ds ds = {};
  EXPECT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
}

TEST(MsgqueueTest, IpcRmidByOwner) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  ASSERT_EQ(SetOwnerAndMode(id, 1001, 1001, 0000), 0) << strerror(errno);
  ExpectRmidAs(id, 1001, 1001, 0);
}

TEST(MsgqueueTest, IpcRmidByCreator) {
  Queue q;
  ASSERT_NO_FATAL_FAILURE(CreateQueueGivenAway(0600, 0000, &q));
  int id = q.id();
  ExpectRmidAs(id, 1000, 1000, 0);
}

TEST(MsgqueueTest, IpcRmidByCapSysAdmin) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ExpectRmidAs(q.id(), kNobody, kNobody, CapBit(CAP_SYS_ADMIN));
}

TEST(MsgqueueTest, IpcRmidWakesAllWaitersWithEidrm) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  ASSERT_NO_FATAL_FAILURE(FillQueue(id, "12345"));
  // A sender blocked on the full queue and a receiver waiting for type 2.
  AsyncChild sender([&] { EXPECT_ERRNO(Send(id, 1, "x"), EIDRM); });
  AsyncChild receiver([&] {
    Received m;
    EXPECT_ERRNO(Recv(id, &m, 64, 2, 0), EIDRM);
  });
  AsyncChild receiver2([&] {
    Received m;
    EXPECT_ERRNO(Recv(id, &m, 64, 1, MSG_EXCEPT), EIDRM);
  });
  ASSERT_TRUE(sender.started());
  ASSERT_TRUE(receiver.started());
  ASSERT_TRUE(receiver2.started());
  SleepMs(kBlockDelayMs);
  MaybeSave();
  EXPECT_TRUE(sender.Running());
  EXPECT_TRUE(receiver.Running());
  EXPECT_TRUE(receiver2.Running());
  ASSERT_EQ(MsgCtl(q.release(), IPC_RMID, nullptr), 0) << strerror(errno);
  EXPECT_EQ(sender.Wait(), 0);
  EXPECT_EQ(receiver.Wait(), 0);
  EXPECT_EQ(receiver2.Wait(), 0);
}

}  // namespace
}  // namespace mqtest
