/* SPDX-License-Identifier: MIT */
/*
 * ports/posix/mbheap_malloc.c - the heap core as a process's malloc (libmbheap_malloc.so,
 * loaded with LD_PRELOAD), so that programs nobody here wrote run on mm/heap.c.
 *
 * Owns the glue only: one struct heap over one contiguous stretch of address space, a mutex,
 * the C and POSIX entry points with their argument checks and errno, the MBHEAP_* options,
 * fork safety and the report lines. It must not contain allocator logic (every block comes
 * from heap_alloc/heap_realloc/heap_free of the very same mm/heap.c the kernel runs) and it
 * must never call malloc itself, directly or through stdio: messages are formatted with
 * lib/kprintf.c into stack buffers and written with write(2).
 *
 * Memory. Nothing is reserved in advance: the heap's address space is counted against
 * RLIMIT_AS only as far as it is mapped, as glibc's break is. The first call places the
 * heap SHIM_GAP_ROOM above the program's break (heap_place) and caps it at SHIM_HEAP_MAX,
 * half of the free gap above it, and RLIMIT_AS as it is then.
 * Every piece of the heap is a fresh private read-write mapping made exactly at the heap's
 * end with MAP_FIXED_NOREPLACE (map_fresh): the first SHIM_INIT_SIZE bytes for heap_init,
 * then whatever the growth hook adds, n = max(what the heap asks, SHIM_GROW_MIN, heap / 8),
 * or just what it asks if that is refused. Those mappings are accountable (no
 * MAP_NORESERVE), so the kernel decides each growth as it decides glibc's mmap and brk:
 * the overcommit policy (the heuristic refuses one request larger than RAM + swap),
 * RLIMIT_AS and RLIMIT_DATA; a refusal is an allocation failure, NULL and ENOMEM. The
 * first-fit index lives in a PROT_NONE reservation of heap_index_bytes(cap) (0.4% of the
 * cap) whose pages its commit hook makes read-write as it asks for them. The address space
 * stays mapped; whole free pages inside free blocks go back to the system through the heap
 * core's release hook (shim_release: madvise(MADV_DONTNEED)).
 *
 * Locking. One statically initialised mutex around every heap call (and the lazy init,
 * which may happen before any constructor has run: the dynamic loader and libc allocate
 * early). pthread_atfork: prepare takes the mutex, parent and child release it, so a child
 * forked while another thread is inside malloc finds a consistent, unlocked heap.
 *
 * Options (read from the environment once: at the first call, or by the constructor when
 * the first call came before libc had set the environment up):
 *   MBHEAP_CHECK=N  heap_check() every N operations (malloc-family calls that allocate, free
 *                   or reallocate) and a final heap_check() at exit, which reports
 *                   "final heap_check ok: ...";
 *   MBHEAP_STATS=1  heap statistics at exit;
 *   MBHEAP_DEBUG=1  the heap's debug mode (HEAP_F_DEBUG: freed memory poisoned and checked);
 *   MBHEAP_LOG=path every report line goes to that file instead of stderr (see "Report
 *                   lines" below).
 *   MBHEAP_POLICY=first_fit|good_fit  the heap's placement policy (default first fit;
 *                   good_fit: HEAP_F_GOOD_FIT). Another value is reported and ignored.
 * Misuse (double free, a pointer the heap never returned, an overwritten header) ends in
 * the heap's panic: "mbheap: heap_free: double free of 0x... (size 32)" and abort().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/kprintf.h"
#include "lib/panic.h"
#include "mm/heap.h"

#define EXPORT __attribute__((visibility("default")))

#define SHIM_HEAP_MAX ((size_t)64 << 30) /* the largest heap: address space, not memory */
#define SHIM_INIT_SIZE ((size_t)1 << 20)
#define SHIM_GROW_MIN ((size_t)1 << 20)
#define SHIM_PAGE ((size_t)4096)
/* The heap's base: aligned to HEAP_MAX_ALIGN (and to a huge page) */
#define SHIM_BASE_ALIGN ((size_t)2 << 20)
/* Left free at the bottom of the heap's gap: room for a program that moves its break */
#define SHIM_GAP_ROOM ((size_t)1 << 30)
/* Where the largest gap is looked for: above the first 4 GiB (left to MAP_32BIT and
 * programs that want low addresses) and below the end of x86_64's user address space with
 * 4-level page tables (what mmap hands out without a hint above it) */
#define SHIM_LOW_END ((uintptr_t)1 << 32)
#define SHIM_USER_END ((uintptr_t)1 << 47)

static pthread_mutex_t shim_lock = PTHREAD_MUTEX_INITIALIZER;
/* This thread is taking, holding or releasing shim_lock: set before the lock is taken and
 * cleared after it is released, so that a signal handler that calls exit() anywhere in
 * between sees it (initial-exec TLS: reading it never allocates). */
static __thread volatile bool holding_lock __attribute__((tls_model("initial-exec")));
static struct heap heap;
static bool heap_ready;           /* heap_init succeeded */
static bool heap_failed;          /* placing or starting the heap failed: every allocation fails */
static uintptr_t region_end;      /* the heap's cap: base + the most it may grow to */
static unsigned long check_every; /* MBHEAP_CHECK (0: off) */
static unsigned long ops, checks; /* operations counted, periodic heap_check() calls run */
static unsigned long since_check; /* operations since the last periodic check */
static bool stats_at_exit;        /* MBHEAP_STATS */
static bool debug_mode;           /* MBHEAP_DEBUG */
static bool good_fit;             /* MBHEAP_POLICY=good_fit */

static void shim_lock_take(void)
{
    holding_lock = true;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    pthread_mutex_lock(&shim_lock);
}

static void shim_lock_drop(void)
{
    pthread_mutex_unlock(&shim_lock);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    holding_lock = false;
}

/* ---------------------------------------------------------------------------------- */
/* Output without malloc                                                              */
/* ---------------------------------------------------------------------------------- */

/*
 * Report lines. Every line the shim reports (statistics, the final check, messages, the
 * heap's panic, whatever the heap core prints through kprintf) is written with a single
 * write(2), so lines from several threads or processes never interleave.
 *
 * By default they go to the stderr the process had when the heap started, as
 * "mbheap: <message>", through a private close-on-exec duplicate: programs such as sort
 * and awk close fd 2 before exit, and the exit report must still get out. Before each use
 * the duplicate is checked to be the same file (a program may have closed it and reused
 * the number); if not, fd 2 is used.
 *
 * With MBHEAP_LOG=path they go to that file instead, as "mbheap[<pid>]: <message>", and
 * stderr stays the program's own. The file is opened (created 0666 & ~umask) in append mode
 * when the option is first read, close-on-exec: a forked child shares the open file and
 * writes its own pid, an exec'd program running on the shim opens the path again from its
 * environment, and appends from all of them land whole, one after the other (O_APPEND on
 * a local file system). A descriptor the program closed or reused is noticed (the same
 * check as for stderr) and the path opened again. A path that cannot be opened is said on
 * stderr, once per process, and the lines go to stderr as without the option.
 */
static int err_fd = -1;
static dev_t err_dev;
static ino_t err_ino;
static int log_fd = -1; /* MBHEAP_LOG's file, or -1: stderr */
static dev_t log_dev;
static ino_t log_ino;
static bool log_tried;      /* MBHEAP_LOG was seen and opening it tried */
static char log_path[4096]; /* MBHEAP_LOG's value */

/* A close-on-exec duplicate of fd numbered 200 or above, out of the program's way (-1 if
 * the descriptor limit forbids it). */
static int high_fd(int fd)
{
    return fcntl(fd, F_DUPFD_CLOEXEC, 200);
}

/* fd is still the file whose identity was recorded. */
static bool same_file(int fd, dev_t dev, ino_t ino)
{
    struct stat st;
    return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

static void keep_stderr(void)
{
    struct stat st;
    int fd = high_fd(2);
    if (fd >= 0 && fstat(fd, &st) == 0) {
        err_fd = fd;
        err_dev = st.st_dev;
        err_ino = st.st_ino;
    } else if (fd >= 0) {
        close(fd);
    }
}

static int stderr_fd(void)
{
    return same_file(err_fd, err_dev, err_ino) ? err_fd : 2;
}

static void write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* Opens log_path for appending; false (errno set) if it cannot be. O_NONBLOCK only for the
 * open: a FIFO nobody reads fails with ENXIO instead of hanging the allocation; writes block
 * as on stderr. */
static bool open_log(void)
{
    int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0666);
    struct stat st;
    if (fd < 0)
        return false;
    fcntl(fd, F_SETFL, O_APPEND);
    int hi = high_fd(fd);
    if (hi >= 0) {
        close(fd);
        fd = hi;
    }
    if (fstat(fd, &st) != 0) {
        close(fd);
        return false;
    }
    log_fd = fd;
    log_dev = st.st_dev;
    log_ino = st.st_ino;
    return true;
}

/* Writes one report line, msg (n bytes, its newline included), with its prefix. */
static void emit(const char *msg, size_t n)
{
    char line[600];
    size_t at;
    int fd;
    if (log_fd >= 0 && !same_file(log_fd, log_dev, log_ino) && !open_log())
        log_fd = -1; /* closed by the program and gone: back to stderr */
    if (log_fd >= 0) {
        fd = log_fd;
        at = (size_t)ksnprintf(line, sizeof(line), "mbheap[%d]: ", (int)getpid());
    } else {
        fd = stderr_fd();
        at = (size_t)ksnprintf(line, sizeof(line), "mbheap: ");
    }
    if (n > sizeof(line) - at)
        n = sizeof(line) - at;
    memcpy(line + at, msg, n);
    write_all(fd, line, at + n);
}

/*
 * kprintf's sink (heap_dump, heap_leak_report): collects whole lines and reports each one.
 * Only the heap core prints, with shim_lock held, so one buffer serves every thread.
 */
static char sink_line[512];
static size_t sink_len;

static void report_sink(const char *s, size_t n, void *ctx)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        sink_line[sink_len++] = s[i];
        if (s[i] == '\n' || sink_len == sizeof(sink_line)) {
            emit(sink_line, sink_len);
            sink_len = 0;
        }
    }
}

/* Formats one report line (at most 511 bytes, without the prefix) and writes it; keeps
 * errno. */
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    int saved = errno;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    emit(buf, n < 0 ? 0 : (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
    errno = saved;
}

/* Reads MBHEAP_LOG and opens its file, the first time it is set. */
static void read_log_option(void)
{
    const char *path = getenv("MBHEAP_LOG");
    if (log_tried || !path || !*path)
        return;
    log_tried = true;
    size_t n = strlen(path);
    if (n >= sizeof(log_path)) {
        say("cannot open MBHEAP_LOG=%.64s... (path longer than %zu bytes): reporting on "
            "stderr\n",
            path, sizeof(log_path) - 1);
        return;
    }
    memcpy(log_path, path, n + 1);
    if (!open_log())
        say("cannot open MBHEAP_LOG=%s (%s): reporting on stderr\n", log_path,
            strerrorname_np(errno));
}

/* The heap core's panic: "mbheap: <message> [file:line]" reported, then abort(). The shim's
 * mutex stays held: the heap is broken, nothing may use it any more. So SIGABRT goes back to
 * its default action first: a program's SIGABRT handler that allocates would otherwise wait
 * for the mutex forever instead of the process dying. */
noreturn void panic_at(const char *file, int line, const char *fmt, ...)
{
    char msg[448];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    say("%s [%s:%d]\n", msg, file, line);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGABRT, &dfl, NULL);
    sigset_t abrt;
    sigemptyset(&abrt);
    sigaddset(&abrt, SIGABRT);
    sigprocmask(SIG_UNBLOCK, &abrt, NULL);
    abort();
}

/* ---------------------------------------------------------------------------------- */
/* Options, placement, growth                                                         */
/* ---------------------------------------------------------------------------------- */

/* Parses a decimal option; unset or empty is 0, garbage is reported and taken as 0. */
static unsigned long env_number(const char *name)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return 0;
    unsigned long v = 0;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9' || __builtin_mul_overflow(v, 10ul, &v) ||
            __builtin_add_overflow(v, (unsigned long)(*c - '0'), &v)) {
            say("ignoring %s=%s (not a decimal number)\n", name, s);
            return 0;
        }
    }
    return v;
}

/* Reads the MBHEAP_* options, once: at the first allocation, or -- when that came before
 * the environment was set up (environ still NULL: every option reads as unset) -- again in
 * the constructor. A bad value is reported once. */
static void read_options(void)
{
    static bool options_read;
    if (options_read)
        return;
    options_read = environ != NULL;
    check_every = env_number("MBHEAP_CHECK");
    stats_at_exit = env_number("MBHEAP_STATS") != 0;
    debug_mode = env_number("MBHEAP_DEBUG") != 0;
    const char *pol = getenv("MBHEAP_POLICY");
    good_fit = false;
    if (pol && !strcmp(pol, "good_fit"))
        good_fit = true;
    else if (pol && *pol && strcmp(pol, "first_fit") != 0)
        say("ignoring MBHEAP_POLICY=%s (first_fit or good_fit)\n", pol);
    read_log_option();
}

static uintptr_t page_up(uintptr_t x, size_t align)
{
    return (x + align - 1) & ~(uintptr_t)(align - 1);
}

/*
 * The heap's release hook (called with shim_lock held): [start, start + bytes) holds
 * nothing the heap needs; its whole pages go back to the system (MADV_DONTNEED). They stay
 * mapped read-write and read as zeros when next touched, so handing them out again needs
 * no call and cannot fail. The commit charge stays (it matters only under
 * vm.overcommit_memory=2). Pages the kernel will not drop (mlock'ed: EINVAL) stay
 * resident, still valid. Keeps errno.
 */
static void shim_release(void *ctx, uintptr_t start, size_t bytes)
{
    (void)ctx;
    uintptr_t lo = page_up(start, SHIM_PAGE);
    uintptr_t hi = (start + bytes) & ~(uintptr_t)(SHIM_PAGE - 1);
    if (hi <= lo)
        return;
    int saved = errno;
    madvise((void *)lo, hi - lo, MADV_DONTNEED);
    errno = saved;
}

/* A stretch of address space no mapping uses: [lo, hi). */
struct gap {
    uintptr_t lo, hi;
};

/*
 * From /proc/self/maps (lines in address order, each starting "<start>-<end> "): *above
 * becomes the free stretch that starts at above->lo (moved past a mapping covering it) and
 * ends at the next mapping, *largest the largest free stretch between SHIM_LOW_END and
 * SHIM_USER_END. Both are left as they are when the file cannot be read.
 */
static void read_gaps(struct gap *above, struct gap *largest)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct gap up = {above->lo, SHIM_USER_END}, big = {0, 0};
    uintptr_t prev_end = SHIM_LOW_END, addr[2] = {0, 0};
    int field = 0; /* 0: the start address, 1: the end address, 2: the rest of the line */
    char buf[1024];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            char c = buf[i];
            int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (c == '\n') {
                field = 0;
                addr[0] = addr[1] = 0;
            } else if (field < 2 && digit >= 0) {
                addr[field] = addr[field] * 16 + (uintptr_t)digit;
            } else if (field == 0 && c == '-') {
                field = 1;
            } else if (field == 1) { /* the line's range [addr[0], addr[1]) is complete */
                field = 2;
                if (addr[0] >= SHIM_USER_END) /* [vsyscall] */
                    continue;
                if (addr[0] <= up.lo && addr[1] > up.lo)
                    up.lo = addr[1];
                else if (addr[0] >= up.lo && addr[0] < up.hi)
                    up.hi = addr[0];
                if (addr[0] > prev_end && addr[0] - prev_end > big.hi - big.lo)
                    big = (struct gap){prev_end, addr[0]};
                if (addr[1] > prev_end)
                    prev_end = addr[1];
            } else {
                field = 2;
            }
        }
    }
    close(fd);
    if (n < 0)
        return;
    if (prev_end < SHIM_USER_END && SHIM_USER_END - prev_end > big.hi - big.lo)
        big = (struct gap){prev_end, SHIM_USER_END};
    *above = up;
    *largest = big;
}

/* The heap's place in gap g: SHIM_GAP_ROOM (at most a quarter of the gap) above its
 * bottom, and its cap: half of what lies above that, at most SHIM_HEAP_MAX (0: no room). */
static size_t place_in(struct gap g, uintptr_t *base)
{
    size_t room = (g.hi - g.lo) / 4 < SHIM_GAP_ROOM ? (g.hi - g.lo) / 4 : SHIM_GAP_ROOM;
    *base = page_up(g.lo + room, SHIM_BASE_ALIGN);
    if (*base >= g.hi)
        return 0;
    size_t cap = ((g.hi - *base) / 2) & ~(SHIM_BASE_ALIGN - 1);
    return cap < SHIM_HEAP_MAX ? cap : SHIM_HEAP_MAX;
}

/*
 * Chooses the heap's base and cap (the most it may grow to). Like glibc's main heap, it
 * lives above the program's break (so it is as randomised as the break is): in the gap
 * that runs from there to the mappings above, which on x86_64 Linux are the libraries
 * and what mmap places top down below them, far away. If that gap is too small for
 * SHIM_HEAP_MAX (something was mapped near the break), the largest gap is used if it
 * offers more. Without /proc the gap above the break is taken to be large;
 * MAP_FIXED_NOREPLACE guards against a mapping in the way. The cap is also at most
 * RLIMIT_AS as it is now: it sizes the index, and the heap cannot be larger than the limit
 * anyway (a limit raised later does not raise the cap; one lowered later makes growth
 * fail, with ENOMEM, once the process's mappings reach it). False when there is no room.
 */
static bool heap_place(uintptr_t *base, size_t *cap)
{
    uintptr_t brk = (uintptr_t)syscall(SYS_brk, 0);
    struct gap above = {brk, brk + SHIM_GAP_ROOM + 2 * SHIM_HEAP_MAX}, largest = {0, 0};
    read_gaps(&above, &largest);
    uintptr_t other;
    size_t c = place_in(above, base), c_other = place_in(largest, &other);
    if (c < SHIM_HEAP_MAX && c_other > c) {
        *base = other;
        c = c_other;
    }
    struct rlimit as;
    if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY && as.rlim_cur < c)
        c = (size_t)as.rlim_cur & ~(SHIM_PAGE - 1);
    *cap = c;
    return c >= SHIM_INIT_SIZE;
}

/*
 * Maps [at, at + n) as fresh, private, read-write memory, accountably (no MAP_NORESERVE):
 * the kernel's overcommit policy, RLIMIT_AS and RLIMIT_DATA decide as for glibc's own
 * mappings. Never over an existing mapping (MAP_FIXED_NOREPLACE; a kernel older than 4.17
 * takes the flag for a hint and maps elsewhere, which counts as a refusal). On failure
 * errno says why (ENOMEM: refused; EEXIST: something else is mapped there).
 */
static bool map_fresh(uintptr_t at, size_t n)
{
    void *p = mmap((void *)at, n, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != MAP_FAILED && p != (void *)at) {
        munmap(p, n);
        errno = EEXIST;
    }
    return p == (void *)at;
}

/* The heap's growth hook (called with shim_lock held): maps [end, end + n) fresh. */
static size_t shim_grow(void *ctx, uintptr_t end, size_t min_bytes)
{
    (void)ctx;
    size_t room = region_end - end;
    size_t want = (end - heap.base) / 8;
    if (want < SHIM_GROW_MIN)
        want = SHIM_GROW_MIN;
    if (want < min_bytes)
        want = min_bytes;
    want = page_up(want, SHIM_PAGE);
    if (want > room)
        want = room & ~(SHIM_PAGE - 1);
    if (want < min_bytes)
        return 0;
    int saved = errno;
    if (!map_fresh(end, want)) /* the large step was refused: try just what is needed */
        want = want > min_bytes && map_fresh(end, min_bytes) ? min_bytes : 0;
    errno = saved;
    return want;
}

/* The index's commit hook (shim_lock held): makes the pages of [start, start + bytes) in
 * its PROT_NONE reservation read-write; pages already read-write stay as they are (and are
 * not charged twice). Keeps errno. */
static bool shim_index_commit(void *ctx, void *start, size_t bytes)
{
    (void)ctx;
    uintptr_t lo = (uintptr_t)start & ~(SHIM_PAGE - 1);
    uintptr_t hi = page_up((uintptr_t)start + bytes, SHIM_PAGE);
    int saved = errno;
    bool ok = mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE) == 0;
    errno = saved;
    return ok;
}

/* Places and starts the heap; with shim_lock held. Returns false (and stays failed) when
 * the system gives no memory. */
static bool ensure_heap_locked(void)
{
    if (__builtin_expect(heap_ready, 1))
        return true;
    if (heap_failed)
        return false;
    int saved = errno;
    keep_stderr();
    read_options();
    kprintf_set_sink(report_sink, NULL);
    uintptr_t base = 0;
    size_t cap = 0;
    const char *failed = NULL;
    void *ix = MAP_FAILED;
    if (!heap_place(&base, &cap)) {
        failed = "no room in the address space";
        errno = ENOMEM;
    }
    if (!failed) {
        ix = mmap(NULL, heap_index_bytes(cap), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (ix == MAP_FAILED)
            failed = "cannot reserve the index's address space";
    }
    if (!failed && !map_fresh(base, SHIM_INIT_SIZE))
        failed = "cannot map the heap's first MiB";
    /* fresh anonymous memory: the core need not clear it (its pages stay untouched) */
    struct heap_index_mem index = {ix, shim_index_commit, NULL, true};
    if (!failed && heap_init(&heap, (void *)base, SHIM_INIT_SIZE, shim_grow, NULL, cap,
                             (debug_mode ? HEAP_F_DEBUG : 0) | (good_fit ? HEAP_F_GOOD_FIT : 0),
                             &index) != E_OK) {
        failed = "heap_init failed"; /* the index's commit was refused */
        errno = ENOMEM;
        munmap((void *)base, SHIM_INIT_SIZE);
    }
    if (failed) {
        say("cannot start the heap (%s: %s): every allocation will fail\n", failed,
            strerrorname_np(errno));
        if (ix != MAP_FAILED)
            munmap(ix, heap_index_bytes(cap));
        heap_failed = true;
        errno = saved;
        return false;
    }
    region_end = base + cap;
    /* whole free pages go back to the system; grown memory is fresh anonymous memory, and
     * a released page reads as zero when next touched: calloc clears neither */
    struct heap_trim trim = {shim_release, NULL, NULL, true};
    if (heap_set_trim(&heap, &trim) != E_OK)
        say("cannot give memory back (heap_set_trim refused): the heap keeps its pages\n");
    heap_ready = true;
    errno = saved;
    return true;
}

/* Counts one operation and runs the periodic heap_check(); with shim_lock held. */
static inline void count_op_locked(void)
{
    ops++;
    if (check_every && ++since_check >= check_every) {
        since_check = 0;
        checks++;
        heap_check(&heap);
    }
}

/* ---------------------------------------------------------------------------------- */
/* Entry points                                                                       */
/* ---------------------------------------------------------------------------------- */

/* Allocates size bytes aligned to align (a power of two <= HEAP_MAX_ALIGN, or anything
 * else, which fails), zeroed if asked (only the bytes the heap does not know to be zero
 * are cleared); NULL with errno ENOMEM on failure. */
static void *shim_alloc_z(size_t size, size_t align, const void *caller, bool zero)
{
    void *p = NULL;
    shim_lock_take();
    if (ensure_heap_locked()) {
        p = zero ? heap_alloc_zeroed(&heap, size, align, caller)
                 : heap_alloc_from(&heap, size, align, caller);
        count_op_locked();
    }
    shim_lock_drop();
    if (!p)
        errno = ENOMEM;
    return p;
}

static void *shim_alloc(size_t size, size_t align, const void *caller)
{
    return shim_alloc_z(size, align, caller, false);
}

/* memalign's alignment rule, as glibc 2.36 applies it to memalign, aligned_alloc, valloc
 * and pvalloc: up to 16 is plain malloc, a value that is not a power of two is rounded up
 * to the next one, above SIZE_MAX / 2 + 1 is EINVAL. Alignments above HEAP_MAX_ALIGN
 * (2 MiB) fail with ENOMEM: the heap core does not provide them (glibc does). */
static void *shim_memalign(size_t align, size_t size, const void *caller)
{
    if (align <= HEAP_ALIGN)
        return shim_alloc(size, HEAP_ALIGN, caller);
    if (align > SIZE_MAX / 2 + 1) {
        errno = EINVAL;
        return NULL;
    }
    if (align & (align - 1)) {
        size_t a = 2 * HEAP_ALIGN;
        while (a < align)
            a <<= 1;
        align = a;
    }
    return shim_alloc(size, align, caller);
}

EXPORT void *malloc(size_t size)
{
    return shim_alloc(size, HEAP_ALIGN, __builtin_return_address(0));
}

EXPORT void free(void *p)
{
    if (!p)
        return;
    int saved = errno; /* free never changes errno (POSIX.1-2024) */
    shim_lock_take();
    /* a pointer given to free before the heap exists cannot be ours: starting the heap
     * lets heap_free report it as the invalid pointer it is */
    if (!ensure_heap_locked())
        panic("free: invalid pointer %p (the heap could not be created)", p);
    heap_free(&heap, p);
    count_op_locked();
    shim_lock_drop();
    errno = saved;
}

EXPORT void *calloc(size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    /* fresh memory (never touched, or released and given back) is not cleared again: a
     * large calloc stays unresident until the program writes to it */
    return shim_alloc_z(total, HEAP_ALIGN, __builtin_return_address(0), true);
}

EXPORT void *realloc(void *p, size_t size)
{
    if (!p)
        return shim_alloc(size, HEAP_ALIGN, __builtin_return_address(0));
    if (size == 0) { /* glibc: frees p and returns NULL */
        free(p);
        return NULL;
    }
    void *q = NULL;
    shim_lock_take();
    if (!ensure_heap_locked())
        panic("realloc: invalid pointer %p (the heap could not be created)", p);
    q = heap_realloc(&heap, p, size, HEAP_ALIGN);
    count_op_locked();
    shim_lock_drop();
    if (!q)
        errno = ENOMEM; /* p is untouched and still valid */
    return q;
}

EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, total);
}

EXPORT void *memalign(size_t align, size_t size)
{
    return shim_memalign(align, size, __builtin_return_address(0));
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
    return shim_memalign(align, size, __builtin_return_address(0));
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
    if (align % sizeof(void *) != 0 || align == 0 || (align & (align - 1)))
        return EINVAL;
    int saved = errno;
    void *p = shim_memalign(align, size, __builtin_return_address(0));
    errno = saved;
    if (!p)
        return ENOMEM; /* *out is left alone */
    *out = p;
    return 0;
}

EXPORT void *valloc(size_t size)
{
    return shim_memalign(SHIM_PAGE, size, __builtin_return_address(0));
}

EXPORT void *pvalloc(size_t size)
{
    size_t rounded;
    if (__builtin_add_overflow(size, SHIM_PAGE - 1, &rounded)) {
        errno = ENOMEM;
        return NULL;
    }
    return shim_memalign(SHIM_PAGE, rounded & ~(SHIM_PAGE - 1), __builtin_return_address(0));
}

EXPORT size_t malloc_usable_size(void *p)
{
    if (!p)
        return 0;
    shim_lock_take();
    if (!ensure_heap_locked())
        panic("malloc_usable_size: invalid pointer %p (the heap could not be created)", p);
    size_t n = heap_usable_size(&heap, p);
    shim_lock_drop();
    return n;
}

/* ---------------------------------------------------------------------------------- */
/* Fork, start and exit                                                               */
/* ---------------------------------------------------------------------------------- */

static void fork_prepare(void)
{
    shim_lock_take();
}

static void fork_release(void)
{
    shim_lock_drop();
}

/* Runs after libc's own initialisation: the environment is certainly readable now. */
__attribute__((constructor)) static void shim_start(void)
{
    shim_lock_take();
    if (ensure_heap_locked()) {
        read_options();
        if (debug_mode && !(heap.flags & HEAP_F_DEBUG))
            say("MBHEAP_DEBUG ignored: the heap started before the environment was "
                "readable\n");
        if (good_fit != !!(heap.flags & HEAP_F_GOOD_FIT))
            say("MBHEAP_POLICY ignored: the heap started before the environment was "
                "readable\n");
    }
    shim_lock_drop();
    /* outside the mutex: registering may allocate */
    pthread_atfork(fork_prepare, fork_release, fork_release);
}

static void print_stats_locked(void)
{
    struct heap_stats st;
    heap_get_stats(&heap, &st);
    say("stats: heap %zu bytes (grew %zu times), used %zu, free %zu in %zu blocks "
        "(largest %zu), released %zu (%zu releases, %zu reuses), live %zu, high water %zu, "
        "allocs %zu, frees %zu, operations %lu\n",
        st.heap_size, st.grow_events, st.bytes_used, st.bytes_free, st.free_blocks, st.largest_free,
        st.bytes_released, st.release_events, st.reuse_events, st.live_allocs, st.high_water,
        st.total_allocs, st.total_frees, ops);
}

/* Runs at exit after the program's atexit handlers and later destructors (this library
 * was initialised before the program). Threads still running may still allocate. */
__attribute__((destructor)) static void shim_exit(void)
{
    if (!check_every && !stats_at_exit)
        return; /* nothing to report: the lock is not even taken */
    if (holding_lock) {
        /* exit() from a signal handler that interrupted this thread inside malloc: the heap
         * may be half-updated and the lock is ours; waiting for it would hang forever */
        say("exit while this thread was inside the allocator (a signal handler?): "
            "no final check\n");
        return;
    }
    shim_lock_take();
    if (ensure_heap_locked()) {
        if (check_every) {
            heap_check(&heap);
            struct heap_stats st;
            heap_get_stats(&heap, &st);
            say("final heap_check ok: %lu operations, %zu live blocks, %lu periodic "
                "checks (every %lu)\n",
                ops, st.live_allocs, checks, check_every);
        }
        if (stats_at_exit)
            print_stats_locked();
    }
    shim_lock_drop();
}
