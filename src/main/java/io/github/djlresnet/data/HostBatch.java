package io.github.djlresnet.data;

/**
 * One batch prepared on the host, ready to be copied into NDArrays by the training thread.
 *
 * @param data size*C*H*W normalized floats, channel-first
 * @param labels size labels as floats (what DJL's softmax cross-entropy takes), or size*K class
 *     probabilities, row by row ({@link SoftTargets})
 * @param size images in this batch (the last batch of an epoch may be smaller)
 */
public record HostBatch(float[] data, float[] labels, int size, int channels, int height, int width) {}
