#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

// libjpeg reports fatal errors through error_exit, which must not return: the decode lives in
// this C function, which longjmps back and turns the error into a return code and a message.

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    int corrupt;  // a data warning (premature end, corrupt entropy data): pixels are not trustworthy
} csd_jpeg_error;

static inline void csd_jpeg_error_exit(j_common_ptr cinfo) {
    csd_jpeg_error *error = (csd_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, error->message);
    longjmp(error->jump, 1);
}

// libjpeg keeps decoding after damaged data and only warns (level -1), filling with gray; such
// a warning fails the decode at once (a 229-byte file declaring 63000 x 10767 pixels otherwise
// had libjpeg write 2 GB of gray for 14 s). Extraneous bytes between markers are harmless.
static inline void csd_jpeg_emit_message(j_common_ptr cinfo, int level) {
    csd_jpeg_error *error = (csd_jpeg_error *)cinfo->err;
    if (level < 0 && cinfo->err->msg_code != JWRN_EXTRANEOUS_DATA) {
        error->corrupt = 1;
        (*cinfo->err->format_message)(cinfo, error->message);
        longjmp(error->jump, 1);
    }
}

/// Decodes a baseline or progressive JPEG held in memory to gray (1 channel) or RGB (3 channels)
/// with libjpeg's defaults (islow DCT, fancy upsampling: what Pillow does). CMYK/YCCK are
/// refused. On success returns 0 and a malloc'ed `*pixels` (HWC) that the caller frees.
static inline int csd_jpeg_decode(const unsigned char *data, size_t size, size_t max_bytes,
                                  unsigned char **pixels, unsigned *width, unsigned *height,
                                  int *channels, char *message, size_t message_size) {
    struct jpeg_decompress_struct cinfo;
    csd_jpeg_error error;
    memset(&error, 0, sizeof error);
    *pixels = NULL;
    unsigned char *volatile out = NULL;  // written after setjmp, freed after a longjmp
    cinfo.err = jpeg_std_error(&error.base);
    error.base.error_exit = csd_jpeg_error_exit;
    error.base.emit_message = csd_jpeg_emit_message;
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(out);
        strncpy(message, error.message, message_size - 1);
        message[message_size - 1] = 0;
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    // Huffman coding spends at least a bit on every 8x8 block of every component (its DC
    // difference): a header declaring more blocks than the file has bits is refused before the
    // output is allocated. (Arithmetic coding can spend less; its damaged data stops the decode.)
    size_t blocks = 0;
    for (int c = 0; c < cinfo.num_components; c++)
        blocks += (size_t)cinfo.comp_info[c].width_in_blocks * cinfo.comp_info[c].height_in_blocks;
    if (!cinfo.arith_code && blocks / 8 > size) {
        snprintf(error.message, sizeof error.message,
                 "the header declares %u x %u pixels (%zu blocks of 8x8), more than the file's %zu bytes can encode",
                 cinfo.image_width, cinfo.image_height, blocks, size);
        longjmp(error.jump, 1);
    }
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo.out_color_space = JCS_GRAYSCALE; break;
    case JCS_YCbCr: case JCS_RGB: cinfo.out_color_space = JCS_RGB; break;
    default:
        strncpy(error.message, "CMYK/YCCK JPEG is not supported (convert it to RGB)", sizeof error.message - 1);
        longjmp(error.jump, 1);
    }
    jpeg_start_decompress(&cinfo);
    size_t rowbytes = (size_t)cinfo.output_width * cinfo.output_components;
    if (cinfo.output_components != 1 && cinfo.output_components != 3) {
        strncpy(error.message, "unexpected JPEG component count", sizeof error.message - 1);
        longjmp(error.jump, 1);
    }
    if (rowbytes == 0 || (size_t)cinfo.output_height > max_bytes / rowbytes) {
        strncpy(error.message, "JPEG image too large", sizeof error.message - 1);
        longjmp(error.jump, 1);
    }
    out = (unsigned char *)malloc(rowbytes * cinfo.output_height);
    if (!out) {
        strncpy(error.message, "out of memory", sizeof error.message - 1);
        longjmp(error.jump, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out + (size_t)cinfo.output_scanline * rowbytes;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    if (error.corrupt) longjmp(error.jump, 1);
    *pixels = out;
    *width = cinfo.output_width;
    *height = cinfo.output_height;
    *channels = cinfo.output_components;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}
