package io.github.djlresnet.data;

/**
 * Bilinear resizing of one channel-first uint8 image, with half-pixel centres (what PyTorch's
 * {@code interpolate(mode="bilinear", align_corners=False)} does, without antialiasing).
 */
public final class Bilinear {

    private Bilinear() {}

    /**
     * Resizes the image at {@code src[offset ..]} (channels x sh x sw) into {@code dst[0 ..]}
     * (channels x dh x dw) as raw pixel values in [0, 255].
     */
    public static void resize(
            byte[] src, int offset, int channels, int sh, int sw, float[] dst, int dh, int dw) {
        int[] y0 = new int[dh];
        int[] y1 = new int[dh];
        float[] wy = new float[dh];
        axis(sh, dh, y0, y1, wy);
        int[] x0 = new int[dw];
        int[] x1 = new int[dw];
        float[] wx = new float[dw];
        axis(sw, dw, x0, x1, wx);
        int o = 0;
        for (int c = 0; c < channels; c++) {
            int plane = offset + c * sh * sw;
            for (int y = 0; y < dh; y++) {
                int r0 = plane + y0[y] * sw;
                int r1 = plane + y1[y] * sw;
                float fy = wy[y];
                for (int x = 0; x < dw; x++) {
                    float top = (src[r0 + x0[x]] & 0xFF) * (1 - wx[x]) + (src[r0 + x1[x]] & 0xFF) * wx[x];
                    float bottom = (src[r1 + x0[x]] & 0xFF) * (1 - wx[x]) + (src[r1 + x1[x]] & 0xFF) * wx[x];
                    dst[o++] = top * (1 - fy) + bottom * fy;
                }
            }
        }
    }

    /** Same as {@link #resize} but rounded back to bytes, for images stored in an ImageSet. */
    public static byte[] resizeToBytes(byte[] src, int offset, int channels, int sh, int sw, int dh, int dw) {
        float[] f = new float[channels * dh * dw];
        resize(src, offset, channels, sh, sw, f, dh, dw);
        byte[] out = new byte[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = (byte) Math.min(255, Math.round(f[i]));
        }
        return out;
    }

    /** Source neighbours and weight of each destination coordinate along one axis. */
    private static void axis(int srcLen, int dstLen, int[] lo, int[] hi, float[] w) {
        double scale = (double) srcLen / dstLen;
        for (int d = 0; d < dstLen; d++) {
            double s = Math.max(0, (d + 0.5) * scale - 0.5);
            int i = Math.min((int) s, srcLen - 1);
            lo[d] = i;
            hi[d] = Math.min(i + 1, srcLen - 1);
            w[d] = (float) (s - i);
        }
    }
}
