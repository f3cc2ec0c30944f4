package io.github.djlresnet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ValidationSplitTest {

    /** n one-pixel-pair images whose bytes spell their own index, so parts can be traced back. */
    private static ImageSet indexed(int n) {
        byte[] px = new byte[2 * n];
        for (int i = 0; i < n; i++) {
            px[2 * i] = (byte) (i & 0xFF);
            px[2 * i + 1] = (byte) (i >> 8);
        }
        return new ImageSet("idx", px, new int[n], 1, 1, 2, List.of("only"));
    }

    private static int[] ids(ImageSet s) {
        return IntStream.range(0, s.size())
                .map(i -> (s.pixels()[2 * i] & 0xFF) | (s.pixels()[2 * i + 1] & 0xFF) << 8)
                .toArray();
    }

    @Test
    void seededDisjointAndComplete() {
        ImageSet set = indexed(1000);
        ValidationSplit a = ValidationSplit.of(set, 0.25, 11);
        ValidationSplit again = ValidationSplit.of(set, 0.25, 11);
        ValidationSplit other = ValidationSplit.of(set, 0.25, 12);
        assertEquals(750, a.train().size());
        assertEquals(250, a.validation().size());
        assertArrayEquals(ids(a.validation()), ids(again.validation()));
        assertFalse(Arrays.equals(ids(a.validation()), ids(other.validation())));
        int[] all = IntStream.concat(Arrays.stream(ids(a.train())), Arrays.stream(ids(a.validation()))).sorted().toArray();
        assertArrayEquals(IntStream.range(0, 1000).toArray(), all); // disjoint and nothing lost
    }

    @Test
    void seededOnRealData() {
        ImageSet mini = Fixtures.miniTrain();
        ValidationSplit a = ValidationSplit.of(mini, 0.1, 3);
        ValidationSplit b = ValidationSplit.of(mini, 0.1, 3);
        ValidationSplit c = ValidationSplit.of(mini, 0.1, 4);
        assertEquals(200, a.validation().size());
        assertArrayEquals(a.validation().pixels(), b.validation().pixels());
        assertFalse(Arrays.equals(a.validation().pixels(), c.validation().pixels()));
    }

    @Test
    void splitThatWouldEmptyAPart() {
        DataException e = assertThrows(DataException.class, () -> ValidationSplit.of(indexed(3), 0.1, 1));
        assertEquals("idx: --val-split 0.1 of 3 images leaves an empty part", e.getMessage());
    }
}
