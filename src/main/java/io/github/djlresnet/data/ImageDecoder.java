package io.github.djlresnet.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * Turns an image file's bytes into the channel-first 8-bit pixels a model reads: decoded with
 * {@link ImageIO} (PNG, JPEG, BMP, GIF), converted to the wanted channels (grayscale becomes
 * identical RGB channels, RGB becomes luminance, alpha is dropped) and resized bilinearly. Image
 * folders ({@link ImageFolderReader}) and {@code score} use the same steps, so a file gives the same
 * pixels to training, {@code evaluate} and {@code score}.
 */
public final class ImageDecoder {

    private ImageDecoder() {}

    /**
     * The pixels of the image in {@code content} at {@code height} x {@code width}, channel-first,
     * or null when the bytes are not an image ImageIO decodes.
     */
    public static byte[] decode(byte[] content, int channels, int height, int width) {
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(content));
        } catch (IOException | RuntimeException e) { // some decoders throw unchecked on garbage
            return null;
        }
        if (img == null) {
            return null;
        }
        return resized(img, channels, height, width);
    }

    /** {@link #pixels} of the image, resized bilinearly to {@code height} x {@code width} when it differs. */
    static byte[] resized(BufferedImage img, int channels, int height, int width) {
        byte[] chw = pixels(img, channels);
        if (img.getHeight() == height && img.getWidth() == width) {
            return chw;
        }
        return Bilinear.resizeToBytes(chw, 0, channels, img.getHeight(), img.getWidth(), height, width);
    }

    /** Channel-first bytes at the image's own size, with {@code channels} (1 or 3) channels. */
    static byte[] pixels(BufferedImage img, int channels) {
        int h = img.getHeight();
        int w = img.getWidth();
        int plane = h * w;
        byte[] out = new byte[channels * plane];
        Raster raster = img.getRaster();
        boolean gray = img.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY
                && img.getColorModel().getNumColorComponents() == 1;
        if (gray) {
            // raw samples: getRGB() would run Java's linear-gray to sRGB conversion and brighten them
            int bits = img.getColorModel().getComponentSize(0);
            int max = (1 << bits) - 1;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int v = raster.getSample(x, y, 0);
                    byte b = (byte) (bits == 8 ? v : Math.round(v * 255f / max));
                    for (int c = 0; c < channels; c++) {
                        out[c * plane + y * w + x] = b;
                    }
                }
            }
            return out;
        }
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < plane; i++) {
            int r = (argb[i] >> 16) & 0xFF;
            int g = (argb[i] >> 8) & 0xFF;
            int b = argb[i] & 0xFF;
            if (channels == 3) {
                out[i] = (byte) r;
                out[plane + i] = (byte) g;
                out[2 * plane + i] = (byte) b;
            } else {
                out[i] = (byte) Math.round(0.299f * r + 0.587f * g + 0.114f * b);
            }
        }
        return out;
    }
}
