package io.pushgate.core;

import java.util.concurrent.CopyOnWriteArrayList;

/** A transport that records the closes it is asked for. */
final class RecordingTransport implements Transport {

    final CopyOnWriteArrayList<Disconnect> closes = new CopyOnWriteArrayList<>();

    @Override
    public String name() {
        return "test";
    }

    @Override
    public void close(Disconnect disconnect) {
        closes.add(disconnect);
    }
}
