package io.github.djlresnet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class BilinearTest {

    @Test
    void sameSizeIsIdentity() {
        ImageSet mini = Fixtures.miniTrain().limit(1);
        assertArrayEquals(mini.pixels(), Bilinear.resizeToBytes(mini.pixels(), 0, 1, 28, 28, 28, 28));
    }

    @Test
    void halvingAveragesPairsWithHalfPixelCentres() {
        // 1x4 row 0, 100, 200, 40 -> 1x2: centres fall between pixels 0,1 and 2,3
        byte[] src = {0, 100, (byte) 200, 40};
        float[] dst = new float[2];
        Bilinear.resize(src, 0, 1, 1, 4, dst, 1, 2);
        assertArrayEquals(new float[] {50f, 120f}, dst, 1e-4f);
    }

    @Test
    void doublingInterpolatesQuarterWays() {
        // 1x2 row 0, 200 -> 1x4: source coords -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped)
        byte[] src = {0, (byte) 200};
        float[] dst = new float[4];
        Bilinear.resize(src, 0, 1, 1, 2, dst, 1, 4);
        assertArrayEquals(new float[] {0f, 50f, 150f, 200f}, dst, 1e-4f);
    }

    @Test
    void readsTheImageAtTheOffsetPerChannel() {
        byte[] src = {9, 9, 1, 1, 1, 1, 5, 5, 5, 5}; // 2 junk bytes, then 2 channels of 2x2
        float[] dst = new float[2];
        Bilinear.resize(src, 2, 2, 2, 2, dst, 1, 1);
        assertEquals(1f, dst[0], 1e-6f);
        assertEquals(5f, dst[1], 1e-6f);
    }
}
