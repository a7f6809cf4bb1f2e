package io.pushgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The heap figure is read from {@code jcmd GC.heap_info}, whose first line changed between JDKs. */
class ServerProbeTest {

    @Test
    void readsTheHeapInUseOfJdk17() {
        String info = "32694:\n garbage-first heap   total 389120K, used 15284K [0x00000000c0000000, 0x0000000100000000)\n"
                + "  region size 1024K, 14 young (14336K), 0 survivors (0K)\n";
        assertEquals(15284, ServerProbe.usedKib(info));
    }

    @Test
    void readsTheHeapInUseOfJdk25() {
        String info = "32735:\ngarbage-first heap   total reserved 1048576K, committed 389120K, used 9365K"
                + " [0x00000000c0000000, 0x0000000100000000)\n region size 1024K, 8 young (8192K), 3 survivors (3072K)\n";
        assertEquals(9365, ServerProbe.usedKib(info));
    }

    @Test
    void saysWhenThereIsNoFigure() {
        assertEquals(-1, ServerProbe.usedKib("32735:\ncom.sun.tools.attach.AttachNotSupportedException: Unable to open socket file"));
    }
}
