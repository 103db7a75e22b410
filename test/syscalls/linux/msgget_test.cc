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

// Syscall tests for System V message queues: msgget(2): creating and looking
// up queues, its permission checks and the msgmni limit.
// Shared helpers and conventions: msg_util.h.
#include <errno.h>
#include <grp.h>
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
// msgget

TEST(MsgqueueTest, MsgGetPrivateAlwaysCreatesNewQueue) {
  Queue a = Queue::Private(0600);
  ASSERT_TRUE(a.ok()) << strerror(errno);
  Queue b = Queue::Private(0600);
  ASSERT_TRUE(b.ok()) << strerror(errno);
  // IPC_EXCL never conflicts for IPC_PRIVATE, and IPC_CREAT is not needed.
  Queue c(msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_TRUE(c.ok()) << strerror(errno);
  Queue d(msgget(IPC_PRIVATE, 0600));
  ASSERT_TRUE(d.ok()) << strerror(errno);
  EXPECT_NE(a.id(), b.id());
  EXPECT_NE(a.id(), c.id());
  EXPECT_NE(b.id(), c.id());
  EXPECT_NE(c.id(), d.id());
  EXPECT_NE(a.id(), d.id());
}

TEST(MsgqueueTest, MsgGetKeyCreateAndLookup) {
  key_t key;
  Queue q = Queue::Keyed(0600, &key);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  EXPECT_EQ(msgget(key, 0), q.id());
  EXPECT_EQ(msgget(key, 0600), q.id());
  EXPECT_EQ(msgget(key, IPC_CREAT | 0600), q.id());

  struct msqid_ds ds = {};
  ASSERT_EQ(MsgCtl(q.id(), IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(ds.msg_perm.__key, key);

  // After removal the key no longer resolves.
  ASSERT_EQ(MsgCtl(q.release(), IPC_RMID, nullptr), 0) << strerror(errno);
  EXPECT_ERRNO(msgget(key, 0), ENOENT);
}

TEST(MsgqueueTest, MsgGetCreateExclusiveExistingIsEexist) {
  key_t key;
  Queue q = Queue::Keyed(0600, &key);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  EXPECT_ERRNO(msgget(key, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
  EXPECT_ERRNO(msgget(key, IPC_CREAT | IPC_EXCL), EEXIST);
  // EEXIST is reported even to a caller without any permission on the queue.
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(kNobody, kNobody, 0));
    EXPECT_ERRNO(msgget(key, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
  });
}

TEST(MsgqueueTest, MsgGetMissingKeyIsEnoent) {
  key_t key = 0;
  for (int i = 0; i < 100; i++) {
    key = Queue::NewKey();
    if (msgget(key, 0) < 0 && errno == ENOENT) break;
  }
  EXPECT_ERRNO(msgget(key, 0), ENOENT);
  EXPECT_ERRNO(msgget(key, 0600), ENOENT);
  // IPC_EXCL without IPC_CREAT does not create.
  EXPECT_ERRNO(msgget(key, IPC_EXCL | 0600), ENOENT);
}

TEST(MsgqueueTest, MsgGetWithoutPermissionIsEacces) {
  key_t key;
  Queue q = Queue::Keyed(0600, &key);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(kNobody, kNobody, 0));
    EXPECT_ERRNO(msgget(key, 0600), EACCES);
    EXPECT_ERRNO(msgget(key, 0400), EACCES);
    EXPECT_ERRNO(msgget(key, 0200), EACCES);
    EXPECT_ERRNO(msgget(key, IPC_CREAT | 0600), EACCES);
  });
}

// Linux checks only the permission bits requested in msgflg: msgget(key, 0)
// succeeds even without any permission.
TEST(MsgqueueTest, MsgGetChecksOnlyRequestedBits) {
  key_t key;
  Queue q = Queue::Keyed(0604, &key);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(kNobody, kNobody, 0));
    EXPECT_EQ(msgget(key, 0), id);
    EXPECT_EQ(msgget(key, 0400), id);
    EXPECT_EQ(msgget(key, 0004), id);
    EXPECT_ERRNO(msgget(key, 0200), EACCES);
    EXPECT_ERRNO(msgget(key, 0002), EACCES);
  });
}

TEST(MsgqueueTest, MsgGetMsgmniReachedIsEnospc) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    ASSERT_EQ(WriteLongFile(kMsgmni, 2), 0);
    EXPECT_EQ(ReadProcInt(kMsgmni), 2);
    Queue a = Queue::Private(0600);
    ASSERT_TRUE(a.ok()) << strerror(errno);
    Queue b = Queue::Private(0600);
    ASSERT_TRUE(b.ok()) << strerror(errno);
    EXPECT_ERRNO(msgget(IPC_PRIVATE, IPC_CREAT | 0600), ENOSPC);
    EXPECT_ERRNO(msgget(0x1234, IPC_CREAT | 0600), ENOSPC);
    // Freeing a slot makes room again.
    b.reset();
    Queue c = Queue::Private(0600);
    EXPECT_TRUE(c.ok()) << strerror(errno);
  });
}

TEST(MsgqueueTest, MsgGetNewQueueStat) {
  long msgmnb = ReadProcInt(kMsgmnb);
  ASSERT_GT(msgmnb, 0);
  EXPECT_CHILD_OK([&] {
    // Real ids differ from effective ids: the effective ones count.
    ASSERT_EQ(setgroups(0, nullptr), 0) << strerror(errno);
    ASSERT_EQ(setresgid(3000, 1001, 3000), 0) << strerror(errno);
    ASSERT_EQ(setresuid(2000, 1000, 2000), 0) << strerror(errno);
    time_t before = time(nullptr);
    Queue q(msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0751));
    time_t after = time(nullptr);
    ASSERT_TRUE(q.ok()) << strerror(errno);
    struct msqid_ds ds = {};
    ASSERT_EQ(MsgCtl(q.id(), IPC_STAT, &ds), 0) << strerror(errno);
    EXPECT_EQ(ds.msg_perm.__key, IPC_PRIVATE);
    EXPECT_EQ(ds.msg_perm.uid, 1000u);
    EXPECT_EQ(ds.msg_perm.cuid, 1000u);
    EXPECT_EQ(ds.msg_perm.gid, 1001u);
    EXPECT_EQ(ds.msg_perm.cgid, 1001u);
    EXPECT_EQ(ds.msg_perm.mode, 0751);
    EXPECT_EQ(static_cast<long>(ds.msg_qbytes), msgmnb);
    EXPECT_EQ(ds.msg_qnum, 0u);
    EXPECT_EQ(ds.__msg_cbytes, 0u);
    EXPECT_EQ(ds.msg_lspid, 0);
    EXPECT_EQ(ds.msg_lrpid, 0);
    EXPECT_EQ(ds.msg_stime, 0);
    EXPECT_EQ(ds.msg_rtime, 0);
    EXPECT_GE(ds.msg_ctime, before);
    EXPECT_LE(ds.msg_ctime, after);
  });
}

}  // namespace
}  // namespace mqtest
