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

// mqbench: message-queue micro-benchmarks, run natively and under runsc.
//
// Build:  gcc -O2 -Wall -static -pthread -o bin/mqbench test/bench/mqbench.c -lrt
// Run:    bin/mqbench [-t MS] [-q QUEUES] [-ns] [TEST...]   (natively; as root)
//         runsc --network=none --ignore-cgroups do /abs/path/bin/mqbench ...
//
// -t sets the time box of each timed loop (default 200 ms); -q the number of
// queues of the manyq tests (default and most 10000). -ns first moves
// into a private IPC namespace with queues_max and msg_max raised (for native
// runs where root lacks CAP_SYS_RESOURCE). With no TEST every test runs;
// named tests run in the order given and may repeat. Each result is one line
//     RESULT NAME VALUE          (VALUE in nanoseconds per unit of NAME)
//     RESULT NAME n/a REASON     (the call is unsupported, e.g. ENOSYS)
// and a failed self-check prints "FAIL NAME WHY" and makes the exit status 1.
// test/bench/driver runs it several times per runsc and prints medians.
//
// Tests (units):
//   null        two getppid() calls                       (ns per pair)
//   posix_pair  mq_send 16 B + mq_receive                 (ns per pair)
//   sysv_pair   msgsnd 16 B + msgrcv                      (ns per pair)
//   posix_pingpong / sysv_pingpong
//               parent sends on q1, child answers on q2   (ns per round trip)
//   posix_nxm / sysv_nxm
//               2 producer x 2 consumer processes pass 20000 messages on one
//               queue; every message must arrive exactly once (ns per message)
//   posix_manyq / sysv_manyq
//               10000 queues open at once: create, send 16 B to each, receive
//               from each, close (POSIX) / IPC_RMID (SysV); per queue and phase
//   peek        F_MQ_PEEK (fcntl 1041, mqsentry only) at depth 1, 1000, 65000
//               of a 65000-message queue (needs maxmsg 65000: CAP_SYS_RESOURCE
//               or msg_max raised, and ~11 MB of RLIMIT_MSGQUEUE);
//               the whole queue read by peek vs an identical one drained by
//               mq_receive, in alternating chunks of 1000 messages
//               (ns per peek / per message; dump_drain_ratio)
//   pairs       null, posix_pair and sysv_pair in 31 alternating short
//               batches: medians, and medians of (pair - null) per round as
//               posix_component / sysv_component (ns per pair)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSGSIZE 16
#define NXM_TOTAL 20000
#define NXM_PRODUCERS 2
#define NXM_CONSUMERS 2
#define MANYQ_MAX 10000
#define BIGQ 65000
#define F_MQ_PEEK (1024 + 17)
#define STOP_ID 0xffffffffu

struct mq_peek_attr {
  int32_t offset;
  uint32_t msg_prio;
  size_t buf_len;
  char *buf;
};

struct sysv_msg {
  long mtype;
  char mtext[MSGSIZE];
};

static double target_ns = 200e6;  // time box of each timed loop
static int MANYQ = MANYQ_MAX;      // queues of the manyq tests (-q)
static int failed;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void result(const char *name, double ns) { printf("RESULT %s %.1f\n", name, ns); fflush(stdout); }

static void na(const char *name, const char *why) { printf("RESULT %s n/a %s\n", name, why); fflush(stdout); }

static void fail(const char *name, const char *what) {
  printf("FAIL %s %s: %s\n", name, what, strerror(errno));
  fflush(stdout);
  failed = 1;
}

// errname names the errno values an unsupported call returns.
static const char *errname(int e) {
  switch (e) {
    case ENOSYS: return "ENOSYS";
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case EMFILE: return "EMFILE";
    case ENOSPC: return "ENOSPC";
    case ENOMEM: return "ENOMEM";
    default: return strerror(e);
  }
}

// timed runs op after a short warm-up in batches until target_ns has passed
// and returns nanoseconds per call, or -1 if op failed.
typedef int (*op_fn)(void *);
static double timed(op_fn op, void *arg) {
  for (int i = 0; i < 100; i++)
    if (op(arg) < 0) return -1;
  long n = 0;
  double start = now_ns(), elapsed;
  do {
    for (int i = 0; i < 32; i++)
      if (op(arg) < 0) return -1;
    n += 32;
    elapsed = now_ns() - start;
  } while (elapsed < target_ns);
  return elapsed / n;
}

static void raise_limits(void) {
  struct rlimit r;
  getrlimit(RLIMIT_NOFILE, &r);
  if (r.rlim_max < MANYQ_MAX + 256) r.rlim_max = MANYQ_MAX + 256;
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max = RLIM_INFINITY;
  if (setrlimit(RLIMIT_MSGQUEUE, &r) < 0) {
    // Raise as far as the hard limit allows.
    getrlimit(RLIMIT_MSGQUEUE, &r);
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_MSGQUEUE, &r);
  }
}

static char qname_buf[64];
static const char *qname(const char *tag, int i) {
  snprintf(qname_buf, sizeof(qname_buf), "/mqbench_%d_%s_%d", (int)getpid(), tag, i);
  return qname_buf;
}

// open_posix creates (and immediately unlinks, unless keep) a queue.
static mqd_t open_posix(const char *tag, int i, long maxmsg, int keep) {
  struct mq_attr a = {0};
  a.mq_maxmsg = maxmsg;
  a.mq_msgsize = MSGSIZE;
  const char *name = qname(tag, i);
  mq_unlink(name);
  mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &a);
  if (q != (mqd_t)-1 && !keep) mq_unlink(name);
  return q;
}

// posix_supported checks that sending on q works; if not it prints n/a.
static int posix_supported(const char *name, mqd_t q) {
  char buf[MSGSIZE] = {0};
  if (mq_send(q, buf, MSGSIZE, 0) < 0) {
    na(name, errname(errno));
    return 0;
  }
  if (mq_receive(q, buf, MSGSIZE, NULL) < 0) {
    na(name, errname(errno));
    return 0;
  }
  return 1;
}

// ---- null ----

// op_null uses glibc's getppid wrapper, "mov $110,%eax; syscall" like the
// queue calls' wrappers: gVisor's systrap patches that pattern into a direct
// call to its trap table, while syscall(SYS_getppid) (number in a register)
// stays on the slower SIGSYS path and would cost about twice a queue pair.
static int op_null(void *arg) {
  (void)arg;
  getppid();
  getppid();
  return 0;
}

static void test_null(void) { result("null", timed(op_null, NULL)); }

// ---- send+receive pairs ----

static int op_posix_pair(void *arg) {
  mqd_t q = *(mqd_t *)arg;
  char buf[MSGSIZE] = "0123456789abcde";
  if (mq_send(q, buf, MSGSIZE, 1) < 0) return -1;
  if (mq_receive(q, buf, MSGSIZE, NULL) != MSGSIZE) return -1;
  return 0;
}

static void test_posix_pair(void) {
  mqd_t q = open_posix("pair", 0, 10, 0);
  if (q == (mqd_t)-1) {
    na("posix_pair", errname(errno));
    return;
  }
  if (posix_supported("posix_pair", q)) {
    double ns = timed(op_posix_pair, &q);
    if (ns < 0) fail("posix_pair", "send/receive");
    else result("posix_pair", ns);
  }
  mq_close(q);
}

static int op_sysv_pair(void *arg) {
  int id = *(int *)arg;
  struct sysv_msg m = {1, "0123456789abcde"};
  if (msgsnd(id, &m, MSGSIZE, 0) < 0) return -1;
  if (msgrcv(id, &m, MSGSIZE, 0, 0) != MSGSIZE) return -1;
  return 0;
}

static void test_sysv_pair(void) {
  int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  if (id < 0) {
    na("sysv_pair", errname(errno));
    return;
  }
  double ns = timed(op_sysv_pair, &id);
  if (ns < 0) fail("sysv_pair", "msgsnd/msgrcv");
  else result("sysv_pair", ns);
  msgctl(id, IPC_RMID, NULL);
}

// ---- ping-pong between two processes ----

static void test_posix_pingpong(void) {
  mqd_t q1 = open_posix("ping", 0, 10, 0), q2 = open_posix("pong", 0, 10, 0);
  if (q1 == (mqd_t)-1 || q2 == (mqd_t)-1) {
    na("posix_pingpong", errname(errno));
    goto out;
  }
  if (!posix_supported("posix_pingpong", q1)) goto out;
  pid_t child = fork();
  if (child == 0) {
    char buf[MSGSIZE];
    for (;;) {
      if (mq_receive(q1, buf, MSGSIZE, NULL) != MSGSIZE) _exit(2);
      if (buf[0] == 'S') _exit(0);
      if (mq_send(q2, buf, MSGSIZE, 0) < 0) _exit(3);
    }
  }
  char buf[MSGSIZE] = "ping";
  long n = 0;
  double start = 0, elapsed = 0;
  for (;;) {
    if (n == 100) start = now_ns();  // after a warm-up
    if (mq_send(q1, buf, MSGSIZE, 0) < 0 || mq_receive(q2, buf, MSGSIZE, NULL) != MSGSIZE) {
      fail("posix_pingpong", "send/receive");
      break;
    }
    n++;
    if (n > 100 && (n & 15) == 0 && (elapsed = now_ns() - start) >= target_ns) break;
  }
  buf[0] = 'S';
  mq_send(q1, buf, MSGSIZE, 0);
  int status;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("posix_pingpong", "child");
  else result("posix_pingpong", elapsed / (n - 100));
out:
  if (q1 != (mqd_t)-1) mq_close(q1);
  if (q2 != (mqd_t)-1) mq_close(q2);
}

static void test_sysv_pingpong(void) {
  int q1 = msgget(IPC_PRIVATE, IPC_CREAT | 0600), q2 = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  if (q1 < 0 || q2 < 0) {
    na("sysv_pingpong", errname(errno));
    goto out;
  }
  pid_t child = fork();
  if (child == 0) {
    struct sysv_msg m;
    for (;;) {
      if (msgrcv(q1, &m, MSGSIZE, 0, 0) != MSGSIZE) _exit(2);
      if (m.mtext[0] == 'S') _exit(0);
      if (msgsnd(q2, &m, MSGSIZE, 0) < 0) _exit(3);
    }
  }
  struct sysv_msg m = {1, "ping"};
  long n = 0;
  double start = 0, elapsed = 0;
  for (;;) {
    if (n == 100) start = now_ns();
    if (msgsnd(q1, &m, MSGSIZE, 0) < 0 || msgrcv(q2, &m, MSGSIZE, 0, 0) != MSGSIZE) {
      fail("sysv_pingpong", "msgsnd/msgrcv");
      break;
    }
    n++;
    if (n > 100 && (n & 15) == 0 && (elapsed = now_ns() - start) >= target_ns) break;
  }
  m.mtext[0] = 'S';
  msgsnd(q1, &m, MSGSIZE, 0);
  int status;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("sysv_pingpong", "child");
  else result("sysv_pingpong", elapsed / (n - 100));
out:
  if (q1 >= 0) msgctl(q1, IPC_RMID, NULL);
  if (q2 >= 0) msgctl(q2, IPC_RMID, NULL);
}

// ---- N producers x M consumers on one queue ----

// The transport of one nxm run: POSIX or SysV.
struct nxm_ops {
  const char *name;
  int (*send)(int q, uint32_t id);
  long (*recv)(int q, uint32_t *id);
};

static int posix_send_id(int q, uint32_t id) {
  char buf[MSGSIZE] = {0};
  memcpy(buf, &id, sizeof(id));
  return mq_send(q, buf, MSGSIZE, 0);
}
static long posix_recv_id(int q, uint32_t *id) {
  char buf[MSGSIZE];
  long n = mq_receive(q, buf, MSGSIZE, NULL);
  memcpy(id, buf, sizeof(*id));
  return n;
}
static int sysv_send_id(int q, uint32_t id) {
  struct sysv_msg m = {1, {0}};
  memcpy(m.mtext, &id, sizeof(id));
  return msgsnd(q, &m, MSGSIZE, 0);
}
static long sysv_recv_id(int q, uint32_t *id) {
  struct sysv_msg m;
  long n = msgrcv(q, &m, MSGSIZE, 0, 0);
  memcpy(id, m.mtext, sizeof(*id));
  return n;
}

static void run_nxm(const struct nxm_ops *ops, int q) {
  uint32_t *counts = mmap(NULL, NXM_TOTAL * sizeof(uint32_t), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  int go[2];
  if (counts == MAP_FAILED || pipe(go) < 0) {
    fail(ops->name, "mmap/pipe");
    return;
  }
  pid_t kids[NXM_PRODUCERS + NXM_CONSUMERS];
  for (int k = 0; k < NXM_PRODUCERS + NXM_CONSUMERS; k++) {
    kids[k] = fork();
    if (kids[k] != 0) continue;
    char c;
    close(go[1]);
    if (read(go[0], &c, 1) != 0) _exit(4);  // wait for the start (EOF)
    if (k < NXM_PRODUCERS) {
      uint32_t per = NXM_TOTAL / NXM_PRODUCERS;
      for (uint32_t i = 0; i < per; i++)
        if (ops->send(q, k * per + i) < 0) _exit(2);
      _exit(0);
    }
    for (;;) {
      uint32_t id;
      if (ops->recv(q, &id) != MSGSIZE) _exit(3);
      if (id == STOP_ID) _exit(0);
      if (id >= NXM_TOTAL) _exit(5);
      __atomic_fetch_add(&counts[id], 1, __ATOMIC_RELAXED);
    }
  }
  close(go[0]);
  double start = now_ns();
  close(go[1]);
  int ok = 1, status;
  for (int k = 0; k < NXM_PRODUCERS; k++) {
    waitpid(kids[k], &status, 0);
    ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  for (int k = 0; k < NXM_CONSUMERS; k++) ops->send(q, STOP_ID);
  for (int k = NXM_PRODUCERS; k < NXM_PRODUCERS + NXM_CONSUMERS; k++) {
    waitpid(kids[k], &status, 0);
    ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  double elapsed = now_ns() - start;
  int bad = 0;
  for (int i = 0; i < NXM_TOTAL; i++) bad += counts[i] != 1;
  if (!ok) fail(ops->name, "a producer or consumer failed");
  else if (bad) {
    printf("FAIL %s %d of %d messages not received exactly once\n", ops->name, bad, NXM_TOTAL);
    failed = 1;
  } else result(ops->name, elapsed / NXM_TOTAL);
  munmap(counts, NXM_TOTAL * sizeof(uint32_t));
}

static void test_posix_nxm(void) {
  static const struct nxm_ops ops = {"posix_nxm", posix_send_id, posix_recv_id};
  mqd_t q = open_posix("nxm", 0, 10, 0);
  if (q == (mqd_t)-1) {
    na(ops.name, errname(errno));
    return;
  }
  if (posix_supported(ops.name, q)) run_nxm(&ops, q);
  mq_close(q);
}

static void test_sysv_nxm(void) {
  static const struct nxm_ops ops = {"sysv_nxm", sysv_send_id, sysv_recv_id};
  int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  if (q < 0) {
    na(ops.name, errname(errno));
    return;
  }
  run_nxm(&ops, q);
  msgctl(q, IPC_RMID, NULL);
}

// ---- 10000 queues open at once ----

static void manyq_result(const char *prefix, const char *phase, double ns) {
  char name[64];
  snprintf(name, sizeof(name), "%s_%s", prefix, phase);
  result(name, ns / MANYQ);
}

static void test_posix_manyq(void) {
  static mqd_t qs[MANYQ_MAX];
  char buf[MSGSIZE] = "0123456789abcde";
  // The names are built before timing; unlinking happens after closing.
  static char names[MANYQ_MAX][64];
  for (int i = 0; i < MANYQ; i++) snprintf(names[i], sizeof(names[i]), "%s", qname("many", i));
  struct mq_attr a = {0};
  a.mq_maxmsg = 1;
  a.mq_msgsize = MSGSIZE;
  int opened = 0, users = 1;
  double t0 = now_ns();
  for (; opened < MANYQ; opened++) {
    qs[opened] = mq_open(names[opened], O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    // Where RLIMIT_MSGQUEUE could not be raised (natively without
    // CAP_SYS_RESOURCE), charge the next queues to another real uid: Linux
    // charges the creator's real uid. The effective uid stays 0.
    if (qs[opened] == (mqd_t)-1 && errno == EMFILE && users < 16 &&
        setresuid(60000 + users, -1, -1) == 0) {
      users++;
      qs[opened] = mq_open(names[opened], O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    }
    if (qs[opened] == (mqd_t)-1) break;
  }
  double t1 = now_ns();
  if (users > 1) {
    setresuid(0, -1, -1);
    printf("INFO posix_manyq RLIMIT_MSGQUEUE could not be raised: queues charged to %d real uids\n", users);
  }
  if (opened < MANYQ) {
    char why[64];
    snprintf(why, sizeof(why), "%s_at_queue_%d", errname(errno), opened);
    na("posix_manyq", why);
    goto cleanup;
  }
  for (int i = 0; i < MANYQ; i++)
    if (mq_send(qs[i], buf, MSGSIZE, 0) < 0) {
      na("posix_manyq", errname(errno));
      goto cleanup;
    }
  double t2 = now_ns();
  for (int i = 0; i < MANYQ; i++)
    if (mq_receive(qs[i], buf, MSGSIZE, NULL) != MSGSIZE) {
      fail("posix_manyq", "mq_receive");
      goto cleanup;
    }
  double t3 = now_ns();
  for (int i = 0; i < MANYQ; i++) mq_close(qs[i]);
  double t4 = now_ns();
  for (int i = 0; i < MANYQ; i++) mq_unlink(names[i]);
  double t5 = now_ns();
  manyq_result("posix_manyq", "create", t1 - t0);
  manyq_result("posix_manyq", "send", t2 - t1);
  manyq_result("posix_manyq", "recv", t3 - t2);
  manyq_result("posix_manyq", "close", t4 - t3);
  manyq_result("posix_manyq", "unlink", t5 - t4);
  result("posix_manyq", (t4 - t0) / MANYQ);
  return;
cleanup:
  for (int i = 0; i < opened; i++) {
    mq_close(qs[i]);
    mq_unlink(names[i]);
  }
}

static void test_sysv_manyq(void) {
  static int qs[MANYQ_MAX];
  struct sysv_msg m = {1, "0123456789abcde"};
  int made = 0;
  double t0 = now_ns();
  for (; made < MANYQ; made++) {
    qs[made] = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (qs[made] < 0) break;
  }
  double t1 = now_ns();
  if (made < MANYQ) {
    char why[64];
    snprintf(why, sizeof(why), "%s_at_queue_%d", errname(errno), made);
    na("sysv_manyq", why);
    goto cleanup;
  }
  for (int i = 0; i < MANYQ; i++)
    if (msgsnd(qs[i], &m, MSGSIZE, 0) < 0) {
      fail("sysv_manyq", "msgsnd");
      goto cleanup;
    }
  double t2 = now_ns();
  for (int i = 0; i < MANYQ; i++)
    if (msgrcv(qs[i], &m, MSGSIZE, 0, 0) != MSGSIZE) {
      fail("sysv_manyq", "msgrcv");
      goto cleanup;
    }
  double t3 = now_ns();
  for (int i = 0; i < MANYQ; i++) msgctl(qs[i], IPC_RMID, NULL);
  double t4 = now_ns();
  manyq_result("sysv_manyq", "create", t1 - t0);
  manyq_result("sysv_manyq", "send", t2 - t1);
  manyq_result("sysv_manyq", "recv", t3 - t2);
  manyq_result("sysv_manyq", "rmid", t4 - t3);
  result("sysv_manyq", (t4 - t0) / MANYQ);
  return;
cleanup:
  for (int i = 0; i < made; i++) msgctl(qs[i], IPC_RMID, NULL);
}

// ---- F_MQ_PEEK ----

struct peek_arg {
  mqd_t q;
  int32_t offset;
  char buf[MSGSIZE];
};

static int op_peek(void *arg) {
  struct peek_arg *p = arg;
  struct mq_peek_attr a = {p->offset, 0, MSGSIZE, p->buf};
  return fcntl(p->q, F_MQ_PEEK, &a) == MSGSIZE ? 0 : -1;
}

// peek_na reports every result of test_peek as unavailable.
static void peek_na(const char *why) {
  static const char *names[] = {"fill65000",      "peek_depth_1", "peek_depth_1000", "peek_depth_65000",
                                "dump65000_peek", "drain65000",   "dump_drain_ratio"};
  for (int i = 0; i < 7; i++) na(names[i], why);
}

static mqd_t open_big(int i) {
  struct mq_attr a = {0};
  a.mq_maxmsg = BIGQ;
  a.mq_msgsize = MSGSIZE;
  const char *name = qname("peek", i);
  mq_unlink(name);
  mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &a);
  if (q != (mqd_t)-1) mq_unlink(name);
  return q;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median_of(double *v, int n) {
  qsort(v, n, sizeof(*v), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define DUMP_CHUNK 1000
#define DUMP_CHUNKS ((BIGQ + DUMP_CHUNK - 1) / DUMP_CHUNK)

// test_peek fills two queues identically with 65000 messages. Peeks at fixed
// depths run on the first. Then the first is read whole by F_MQ_PEEK (index
// 0..64999, the queue left intact) while the second is drained by
// mq_receive, in alternating chunks of 1000 messages so that both see the
// same machine noise; dump_drain_ratio is the median of the chunks' ratios.
// A running hash checks that peek order equals receive order.
static void test_peek(void) {
  mqd_t qa = open_big(0), qb = (mqd_t)-1;
  if (qa == (mqd_t)-1 || (qb = open_big(1)) == (mqd_t)-1) {
    peek_na(errname(errno));
    goto out;
  }
  // Fill: a few hot priorities, one message in eight at a random priority
  // across the whole range; the payload is the send sequence number.
  unsigned seed = 2;
  char buf[MSGSIZE] = {0};
  double t0 = now_ns();
  for (uint32_t i = 0; i < BIGQ; i++) {
    unsigned prio = rand_r(&seed) % 4;
    if (i % 8 == 0) prio = rand_r(&seed) % 32768;
    memcpy(buf, &i, sizeof(i));
    if (mq_send(qa, buf, MSGSIZE, prio) < 0 || mq_send(qb, buf, MSGSIZE, prio) < 0) {
      peek_na(errname(errno));
      goto out;
    }
  }
  result("fill65000", (now_ns() - t0) / (2 * BIGQ));

  struct peek_arg p = {qa, 0, {0}};
  int peek_ok = op_peek(&p) == 0;
  const char *why = errname(errno);
  static const int depths[] = {1, 1000, BIGQ};
  for (int d = 0; d < 3; d++) {
    char rname[32];
    snprintf(rname, sizeof(rname), "peek_depth_%d", depths[d]);
    if (!peek_ok) {
      na(rname, why);
      continue;
    }
    p.offset = depths[d] - 1;
    double ns = timed(op_peek, &p);
    if (ns < 0) fail(rname, "fcntl(F_MQ_PEEK)");
    else result(rname, ns);
  }

  uint64_t hpeek = 1469598103934665603ull, hdrain = hpeek;
  static double ratios[DUMP_CHUNKS];
  double dump = 0, drain = 0;
  int chunks = 0;
  for (int32_t lo = 0; lo < BIGQ; lo += DUMP_CHUNK) {
    int32_t hi = lo + DUMP_CHUNK < BIGQ ? lo + DUMP_CHUNK : BIGQ;
    double c0 = now_ns();
    for (int32_t i = lo; peek_ok && i < hi; i++) {
      struct mq_peek_attr pa = {i, 0, MSGSIZE, buf};
      if (fcntl(qa, F_MQ_PEEK, &pa) != MSGSIZE) {
        fail("dump65000_peek", "fcntl(F_MQ_PEEK)");
        peek_ok = 0;
        break;
      }
      hpeek = (hpeek ^ (*(uint32_t *)buf * 65536ull + pa.msg_prio)) * 1099511628211ull;
    }
    double c1 = now_ns();
    for (int32_t i = lo; i < hi; i++) {
      unsigned prio;
      if (mq_receive(qb, buf, MSGSIZE, &prio) != MSGSIZE) {
        fail("drain65000", "mq_receive");
        goto out;
      }
      hdrain = (hdrain ^ (*(uint32_t *)buf * 65536ull + prio)) * 1099511628211ull;
    }
    double c2 = now_ns();
    dump += c1 - c0;
    drain += c2 - c1;
    ratios[chunks++] = (c1 - c0) / (c2 - c1);
  }
  if (!peek_ok) {
    na("dump65000_peek", why);
    na("dump_drain_ratio", why);
  } else if (hpeek != hdrain) {
    printf("FAIL dump65000_peek peek order differs from receive order\n");
    failed = 1;
  } else {
    result("dump65000_peek", dump / BIGQ);
    printf("RESULT dump_drain_ratio %.4f\n", median_of(ratios, chunks));
  }
  result("drain65000", drain / BIGQ);
out:
  if (qa != (mqd_t)-1) mq_close(qa);
  if (qb != (mqd_t)-1) mq_close(qb);
}

// ---- null, POSIX and SysV pairs side by side ----

#define PAIR_ROUNDS 31

// batch runs op for about ns nanoseconds and returns nanoseconds per call.
static double batch(op_fn op, void *arg, double ns) {
  long n = 0;
  double start = now_ns(), elapsed;
  do {
    for (int i = 0; i < 8; i++)
      if (op(arg) < 0) return -1;
    n += 8;
    elapsed = now_ns() - start;
  } while (elapsed < ns);
  return elapsed / n;
}

// test_pairs measures the null pair, the POSIX pair and the SysV pair in
// PAIR_ROUNDS alternating short batches and reports the median batch of
// each, and the medians of each round's (pair - null pair): the queue's own
// cost with the sandbox's per-syscall cost removed, robust to load that
// changes during the run.
static void test_pairs(void) {
  mqd_t pq = open_posix("pairs", 0, 10, 0);
  int posix_ok = pq != (mqd_t)-1 && posix_supported("posix_pair", pq);
  if (pq == (mqd_t)-1) na("posix_pair", errname(errno));
  if (!posix_ok) na("posix_component", "unsupported");
  int sq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  if (sq < 0) {
    na("sysv_pair", errname(errno));
    na("sysv_component", errname(errno));
  }
  static double nulls[PAIR_ROUNDS], posix[PAIR_ROUNDS], sysv[PAIR_ROUNDS], pc[PAIR_ROUNDS], sc[PAIR_ROUNDS];
  double slice = 3 * target_ns / (3 * PAIR_ROUNDS);
  for (int i = 0; i < 100; i++) {  // warm-up
    op_null(NULL);
    if (posix_ok) op_posix_pair(&pq);
    if (sq >= 0) op_sysv_pair(&sq);
  }
  for (int r = 0; r < PAIR_ROUNDS; r++) {
    nulls[r] = batch(op_null, NULL, slice);
    if (posix_ok && (posix[r] = batch(op_posix_pair, &pq, slice)) < 0) {
      fail("posix_pair", "send/receive");
      posix_ok = 0;
    }
    if (sq >= 0 && (sysv[r] = batch(op_sysv_pair, &sq, slice)) < 0) {
      fail("sysv_pair", "msgsnd/msgrcv");
      msgctl(sq, IPC_RMID, NULL);
      sq = -1;
    }
    pc[r] = posix[r] - nulls[r];
    sc[r] = sysv[r] - nulls[r];
  }
  result("null", median_of(nulls, PAIR_ROUNDS));
  if (posix_ok) {
    result("posix_pair", median_of(posix, PAIR_ROUNDS));
    result("posix_component", median_of(pc, PAIR_ROUNDS));
  }
  if (sq >= 0) {
    result("sysv_pair", median_of(sysv, PAIR_ROUNDS));
    result("sysv_component", median_of(sc, PAIR_ROUNDS));
    msgctl(sq, IPC_RMID, NULL);
  }
  if (pq != (mqd_t)-1) mq_close(pq);
}

static const struct {
  const char *name;
  void (*fn)(void);
} tests[] = {
    {"null", test_null},
    {"posix_pair", test_posix_pair},
    {"sysv_pair", test_sysv_pair},
    {"posix_pingpong", test_posix_pingpong},
    {"sysv_pingpong", test_sysv_pingpong},
    {"posix_nxm", test_posix_nxm},
    {"sysv_nxm", test_sysv_nxm},
    {"posix_manyq", test_posix_manyq},
    {"sysv_manyq", test_sysv_manyq},
    {"peek", test_peek},
    {"pairs", test_pairs},
};
#define NTESTS (int)(sizeof(tests) / sizeof(tests[0]))

// private_ipc_ns moves the process into a new IPC namespace and raises that
// namespace's queues_max and msg_max, which a root without CAP_SYS_RESOURCE
// cannot bypass. The host's namespace is left alone.
static void private_ipc_ns(void) {
  if (unshare(CLONE_NEWIPC) < 0) {
    printf("INFO unshare(CLONE_NEWIPC): %s\n", strerror(errno));
    return;
  }
  static const char *files[] = {"/proc/sys/fs/mqueue/queues_max", "/proc/sys/fs/mqueue/msg_max"};
  static const char *values[] = {"20000", "65536"};
  for (int i = 0; i < 2; i++) {
    FILE *f = fopen(files[i], "w");
    if (!f || fputs(values[i], f) < 0 || fclose(f) != 0) printf("INFO cannot write %s: %s\n", files[i], strerror(errno));
  }
}

int main(int argc, char **argv) {
  int argi = 1;
  for (; argi < argc && argv[argi][0] == '-'; argi++) {
    if (strcmp(argv[argi], "-t") == 0 && argi + 1 < argc) {
      target_ns = atof(argv[++argi]) * 1e6;
    } else if (strcmp(argv[argi], "-q") == 0 && argi + 1 < argc) {
      MANYQ = atoi(argv[++argi]);
      if (MANYQ < 1 || MANYQ > MANYQ_MAX) MANYQ = MANYQ_MAX;
    } else if (strcmp(argv[argi], "-ns") == 0) {
      private_ipc_ns();
    } else {
      fprintf(stderr, "usage: mqbench [-t MS] [-q QUEUES] [-ns] [TEST...]\n");
      return 2;
    }
  }
  raise_limits();
  if (argi == argc) {
    for (int t = 0; t < NTESTS; t++) tests[t].fn();
    return failed;
  }
  // Named tests run in the order given; a name may repeat.
  for (int i = argi; i < argc; i++) {
    int t = 0;
    while (t < NTESTS && strcmp(argv[i], tests[t].name) != 0) t++;
    if (t == NTESTS) {
      fprintf(stderr, "mqbench: unknown test %s\n", argv[i]);
      return 2;
    }
    tests[t].fn();
  }
  return failed;
}
