#pragma once
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

// libpng reports errors by longjmp, which Swift cannot catch: the whole decode lives in this C
// function, which turns any libpng error into a return code and a message.

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t position;
    char message[256];
} csd_png_state;

static inline void csd_png_error_fn(png_structp png, png_const_charp message) {
    csd_png_state *state = (csd_png_state *)png_get_error_ptr(png);
    strncpy(state->message, message ? message : "libpng error", sizeof state->message - 1);
    state->message[sizeof state->message - 1] = 0;
    png_longjmp(png, 1);
}

// Warnings (unknown profiles, ancillary-chunk CRCs) leave the pixels intact: ignored.
static inline void csd_png_warning_fn(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static inline void csd_png_read_fn(png_structp png, png_bytep out, size_t count) {
    csd_png_state *state = (csd_png_state *)png_get_io_ptr(png);
    if (count > state->size - state->position) png_error(png, "truncated PNG data");
    memcpy(out, state->data + state->position, count);
    state->position += count;
}

/// Decodes a PNG held in memory to 8-bit gray (1 channel) or RGB (3 channels): palette -> RGB,
/// gray 1/2/4-bit -> 8-bit scaled, 16-bit -> the high byte, alpha dropped (not composited).
/// On success returns 0 and a malloc'ed `*pixels` (HWC) that the caller frees; on failure
/// returns -1 with `message` filled. Images above `max_bytes` output bytes are refused before
/// any pixel buffer is allocated.
static inline int csd_png_decode(const unsigned char *data, size_t size, size_t max_bytes,
                                 unsigned char **pixels, unsigned *width, unsigned *height,
                                 int *channels, char *message, size_t message_size) {
    csd_png_state state;
    memset(&state, 0, sizeof state);
    state.data = data;
    state.size = size;
    *pixels = NULL;
    if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        strncpy(message, "not a PNG file (wrong signature)", message_size - 1);
        message[message_size - 1] = 0;
        return -1;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state, csd_png_error_fn,
                                             csd_png_warning_fn);
    if (!png) {
        strncpy(message, "libpng: out of memory", message_size - 1);
        message[message_size - 1] = 0;
        return -1;
    }
    png_infop info = png_create_info_struct(png);
    // Written after setjmp and read after a longjmp: volatile keeps them out of registers.
    unsigned char *volatile rgba = NULL;
    png_bytep *volatile rows = NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        free(rows);
        free(rgba);
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
        strncpy(message, state.message[0] ? state.message : "libpng: out of memory", message_size - 1);
        message[message_size - 1] = 0;
        return -1;
    }
    png_set_read_fn(png, &state, csd_png_read_fn);
    // Sides above 65535 are refused from the header (a lying IHDR allocates nothing).
    png_set_user_limits(png, 65535, 65535);
    png_read_info(png, info);

    png_uint_32 w = 0, h = 0;
    int depth = 0, color = 0, interlace = 0;
    png_get_IHDR(png, info, &w, &h, &depth, &color, &interlace, NULL, NULL);
    // The rows as stored (a filter byte each) are deflated, which compresses at most 1032:1: a
    // header declaring more than the file can hold is refused before anything is allocated.
    size_t stored_row = 1 + ((size_t)w * png_get_channels(png, info) * depth + 7) / 8;
    if ((size_t)h * stored_row / 1032 > size) {
        char text[sizeof state.message];
        snprintf(text, sizeof text,
                 "the header declares %u x %u pixels, more than the file's %zu bytes can hold (deflate: 1032:1 at most)",
                 (unsigned)w, (unsigned)h, size);
        png_error(png, text);
    }
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_strip_16(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int stored = png_get_channels(png, info);  // 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
    if (png_get_bit_depth(png, info) != 8 || stored < 1 || stored > 4)
        png_error(png, "unsupported PNG layout after conversion");
    size_t rowbytes = png_get_rowbytes(png, info);
    int out_channels = stored <= 2 ? 1 : 3;
    if ((size_t)h > max_bytes / rowbytes || (size_t)w * h * out_channels > max_bytes)
        png_error(png, "PNG image too large");
    rgba = (unsigned char *)malloc(rowbytes * h);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * h);
    if (!rgba || !rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++) rows[y] = rgba + y * rowbytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);

    // Drop the alpha channel in place (the output never outgrows the input).
    if (stored == 2 || stored == 4) {
        size_t n = (size_t)w * h;
        for (size_t i = 0; i < n; i++)
            for (int c = 0; c < out_channels; c++) rgba[i * out_channels + c] = rgba[i * stored + c];
    }
    free(rows);
    rows = NULL;
    png_destroy_read_struct(&png, &info, NULL);
    *pixels = rgba;
    *width = w;
    *height = h;
    *channels = out_channels;
    return 0;
}
