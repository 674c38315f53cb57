/*
 * tests/realworld/malloc_shim.c - the heap core as a process's malloc (libmbheap_malloc.so,
 * loaded with LD_PRELOAD), so that programs nobody here wrote run on mm/heap.c.
 *
 * Owns the glue only: one struct heap over one large virtual reservation, a mutex, the C and
 * POSIX entry points with their argument checks and errno, the MBHEAP_* options, fork
 * safety and the messages on stderr. It must not contain allocator logic (every block comes
 * from heap_alloc/heap_realloc/heap_free of the very same mm/heap.c the kernel runs) and it
 * must never call malloc itself, directly or through stdio: messages are formatted with
 * lib/kprintf.c into stack buffers and written with write(2).
 *
 * Memory. The first call reserves up to SHIM_RESERVE_MAX of address space with
 * mmap(PROT_NONE, MAP_NORESERVE) (halving down to SHIM_RESERVE_MIN if the system refuses),
 * makes its first SHIM_INIT_SIZE bytes read-write for heap_init, and the heap's growth hook
 * makes exactly [end, end + n) read-write, n = max(what the heap asks, SHIM_GROW_MIN,
 * heap / 8). Nothing is ever returned to the system.
 *
 * Locking. One statically initialised mutex around every heap call (and the lazy init,
 * which may happen before any constructor has run: the dynamic loader and libc allocate
 * early). pthread_atfork: prepare takes the mutex, parent and child release it, so a child
 * forked while another thread is inside malloc finds a consistent, unlocked heap.
 *
 * Options (read from the environment at the first call and again by the constructor, when
 * libc's environment is certainly set up):
 *   MBHEAP_CHECK=N  heap_check() every N operations (malloc-family calls that allocate, free
 *                   or reallocate) and a final heap_check() at exit, which prints
 *                   "mbheap: final heap_check ok: ..." on stderr;
 *   MBHEAP_STATS=1  heap statistics on stderr at exit;
 *   MBHEAP_DEBUG=1  the heap's debug mode (HEAP_F_DEBUG: freed memory poisoned and checked);
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
#include <sys/stat.h>
#include <unistd.h>

#include "lib/kprintf.h"
#include "lib/panic.h"
#include "mm/heap.h"

#define EXPORT __attribute__((visibility("default")))

#define SHIM_RESERVE_MAX ((size_t)64 << 30) /* address space reserved (not memory used) */
#define SHIM_RESERVE_MIN ((size_t)256 << 20)
#define SHIM_INIT_SIZE ((size_t)1 << 20)
#define SHIM_GROW_MIN ((size_t)1 << 20)
#define SHIM_PAGE ((size_t)4096)

static pthread_mutex_t shim_lock = PTHREAD_MUTEX_INITIALIZER;
/* This thread is taking, holding or releasing shim_lock: set before the lock is taken and
 * cleared after it is released, so that a signal handler that calls exit() anywhere in
 * between sees it (initial-exec TLS: reading it never allocates). */
static __thread volatile bool holding_lock __attribute__((tls_model("initial-exec")));
static struct heap heap;
static bool heap_ready;           /* heap_init succeeded */
static bool heap_failed;          /* the reservation or heap_init failed: every allocation fails */
static uintptr_t region_end;      /* end of the reservation */
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
 * The shim writes to the stderr the process had when the heap started, through a private
 * close-on-exec duplicate: programs such as sort and awk close fd 2 before exit, and the
 * exit report must still get out. Before each use the duplicate is checked to be the same
 * file (a program may have closed it and reused the number); if not, fd 2 is used.
 */
static int err_fd = -1;
static dev_t err_dev;
static ino_t err_ino;

static void keep_stderr(void)
{
    struct stat st;
    int fd = fcntl(2, F_DUPFD_CLOEXEC, 200);
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
    struct stat st;
    if (err_fd >= 0 && fstat(err_fd, &st) == 0 && st.st_dev == err_dev && st.st_ino == err_ino)
        return err_fd;
    return 2;
}

static void write_all(const char *s, size_t n)
{
    int fd = stderr_fd();
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

/* kprintf's sink (heap_dump, heap_leak_report): stderr. */
static void stderr_sink(const char *s, size_t n, void *ctx)
{
    (void)ctx;
    write_all(s, n);
}

/* Formats one message (at most 511 bytes) and writes it to stderr; keeps errno. */
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    int saved = errno;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    write_all(buf, n < 0 ? 0 : (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
    errno = saved;
}

/* The heap core's panic: "mbheap: <message> [file:line]" on stderr, then abort(). The shim's
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
    say("mbheap: %s [%s:%d]\n", msg, file, line);
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
/* Options, reservation, growth                                                       */
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
            say("mbheap: ignoring %s=%s (not a decimal number)\n", name, s);
            return 0;
        }
    }
    return v;
}

static void read_options(void)
{
    check_every = env_number("MBHEAP_CHECK");
    stats_at_exit = env_number("MBHEAP_STATS") != 0;
    debug_mode = env_number("MBHEAP_DEBUG") != 0;
    const char *pol = getenv("MBHEAP_POLICY");
    static bool said; /* read_options runs twice (first call, constructor): say it once */
    good_fit = false;
    if (pol && !strcmp(pol, "good_fit"))
        good_fit = true;
    else if (pol && *pol && strcmp(pol, "first_fit") != 0 && !said) {
        said = true;
        say("mbheap: ignoring MBHEAP_POLICY=%s (first_fit or good_fit)\n", pol);
    }
}

/* The heap's growth hook (called with shim_lock held): makes [end, end + n) read-write. */
static size_t shim_grow(void *ctx, uintptr_t end, size_t min_bytes)
{
    (void)ctx;
    size_t room = region_end - end;
    size_t want = (end - heap.base) / 8;
    if (want < SHIM_GROW_MIN)
        want = SHIM_GROW_MIN;
    if (want < min_bytes)
        want = min_bytes;
    want = (want + SHIM_PAGE - 1) & ~(SHIM_PAGE - 1);
    if (want > room)
        want = room & ~(SHIM_PAGE - 1);
    if (want < min_bytes)
        return 0;
    int saved = errno;
    if (mprotect((void *)end, want, PROT_READ | PROT_WRITE) != 0) {
        want = min_bytes; /* the large step was refused: try just what is needed */
        if (mprotect((void *)end, want, PROT_READ | PROT_WRITE) != 0)
            want = 0;
    }
    errno = saved;
    return want;
}

/* Reserves the address space and starts the heap; with shim_lock held. Returns false
 * (and stays failed) when the system gives no memory. */
static bool ensure_heap_locked(void)
{
    if (__builtin_expect(heap_ready, 1))
        return true;
    if (heap_failed)
        return false;
    int saved = errno;
    read_options();
    keep_stderr();
    kprintf_set_sink(stderr_sink, NULL);
    void *base = MAP_FAILED;
    size_t size = SHIM_RESERVE_MAX;
    for (; size >= SHIM_RESERVE_MIN; size /= 2) {
        base = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (base != MAP_FAILED)
            break;
    }
    /* the first-fit index's memory: demand-zero pages, only those it uses are touched */
    void *ix = MAP_FAILED;
    if (base != MAP_FAILED)
        ix = mmap(NULL, heap_index_bytes(size), PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    struct heap_index_mem index = {ix, NULL, NULL};
    if (base == MAP_FAILED || ix == MAP_FAILED ||
        mprotect(base, SHIM_INIT_SIZE, PROT_READ | PROT_WRITE) != 0 ||
        heap_init(&heap, base, SHIM_INIT_SIZE, shim_grow, NULL, size,
                  (debug_mode ? HEAP_F_DEBUG : 0) | (good_fit ? HEAP_F_GOOD_FIT : 0),
                  &index) != E_OK) {
        say("mbheap: cannot reserve the heap's address space: every allocation will fail\n");
        if (base != MAP_FAILED)
            munmap(base, size);
        if (ix != MAP_FAILED)
            munmap(ix, heap_index_bytes(size));
        heap_failed = true;
        errno = saved;
        return false;
    }
    region_end = (uintptr_t)base + size;
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
 * else, which fails); NULL with errno ENOMEM on failure. */
static void *shim_alloc(size_t size, size_t align, const void *caller)
{
    void *p = NULL;
    shim_lock_take();
    if (ensure_heap_locked()) {
        p = heap_alloc_from(&heap, size, align, caller);
        count_op_locked();
    }
    shim_lock_drop();
    if (!p)
        errno = ENOMEM;
    return p;
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
    void *p = shim_alloc(total, HEAP_ALIGN, __builtin_return_address(0));
    if (p)
        memset(p, 0, total); /* a reused block holds old data */
    return p;
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
            say("mbheap: MBHEAP_DEBUG ignored: the heap started before the environment was "
                "readable\n");
        if (good_fit != !!(heap.flags & HEAP_F_GOOD_FIT))
            say("mbheap: MBHEAP_POLICY ignored: the heap started before the environment was "
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
    say("mbheap: stats: heap %zu bytes (grew %zu times), used %zu, free %zu in %zu blocks "
        "(largest %zu), live %zu, high water %zu, allocs %zu, frees %zu, operations %lu\n",
        st.heap_size, st.grow_events, st.bytes_used, st.bytes_free, st.free_blocks, st.largest_free,
        st.live_allocs, st.high_water, st.total_allocs, st.total_frees, ops);
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
        say("mbheap: exit while this thread was inside the allocator (a signal handler?): "
            "no final check\n");
        return;
    }
    shim_lock_take();
    if (ensure_heap_locked()) {
        if (check_every) {
            heap_check(&heap);
            struct heap_stats st;
            heap_get_stats(&heap, &st);
            say("mbheap: final heap_check ok: %lu operations, %zu live blocks, %lu periodic "
                "checks (every %lu)\n",
                ops, st.live_allocs, checks, check_every);
        }
        if (stats_at_exit)
            print_stats_locked();
    }
    shim_lock_drop();
}
