package io.pushgate.cluster;

/**
 * {@link ClusterLogReadsTests} on a log of 4 partitions: nodes b and c, which hold no session of the uid,
 * read none of its pushes (issue 18's "does no per-message work for that uid's pushes").
 */
class PartitionedLogReadsTests extends ClusterLogReadsTests {

    @Override
    int partitions() {
        return 4;
    }

    @Override
    int readElsewhere() {
        return 0;
    }
}
