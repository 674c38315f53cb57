/* boot/options.c - parses the kernel command line into struct boot_options. */
#include "boot/options.h"

#include "lib/cmdline.h"
#include "lib/kprintf.h"
#include "lib/string.h"

void options_defaults(struct boot_options *o)
{
    memset(o, 0, sizeof(*o));
    o->pmm_fail_after = UINT64_MAX;
}

/* The length of the whole word, "key" or "key=value", for printing it. */
static int word_len(const struct cmdline_opt *w)
{
    return (int)(w->key_len + (w->val ? w->val_len + 1 : 0));
}

static bool parse_size(const struct cmdline_opt *w, uint64_t *out)
{
    if (!w->val || cmdline_parse_u64(w->val, w->val_len, out) != E_OK) {
        kprintf("options: bad value for %.*s: '%.*s' (a number, K/M/G suffix allowed)\n",
                (int)w->key_len, w->key, w->val ? (int)w->val_len : 0, w->val ? w->val : "");
        return false;
    }
    return true;
}

void options_parse(struct boot_options *o, const char *cmdline)
{
    const char *cur = cmdline;
    struct cmdline_opt w;
    while (cmdline_next(&cur, &w)) {
        bool ok = true;
        if (cmdline_key_is(&w, "test")) {
            ok = cmdline_val_copy(&w, o->test, sizeof(o->test)) == E_OK && o->test[0];
        } else if (cmdline_key_is(&w, "heap_max")) {
            ok = parse_size(&w, &o->heap_max);
        } else if (cmdline_key_is(&w, "pmm_fail_after")) {
            ok = parse_size(&w, &o->pmm_fail_after);
        } else if (cmdline_key_is(&w, "heap_debug")) {
            o->heap_debug = true;
            ok = w.val == NULL;
        } else if (cmdline_key_is(&w, "heap_index")) {
            char v[4];
            ok = cmdline_val_copy(&w, v, sizeof(v)) == E_OK &&
                 (strcmp(v, "on") == 0 || strcmp(v, "off") == 0);
            if (ok)
                o->heap_no_index = strcmp(v, "off") == 0;
        } else if (cmdline_key_is(&w, "allocator")) {
            char name[16];
            ok = cmdline_val_copy(&w, name, sizeof(name)) == E_OK;
            if (ok && strcmp(name, "dummy") == 0)
                o->dummy_allocator = true;
            else if (ok && strcmp(name, "heap") == 0)
                o->dummy_allocator = false;
            else
                ok = false;
        } else {
            kprintf("options: unknown option '%.*s' (known: test= heap_max= allocator= "
                    "heap_debug heap_index= pmm_fail_after=)\n",
                    word_len(&w), w.key);
            continue;
        }
        if (!ok)
            kprintf("options: ignoring malformed option '%.*s'\n", word_len(&w), w.key);
    }
}
