package io.pushgate.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The objects that two cores write on every publish keep those fields on lines of their own: at least 64
 * bytes from either end of the object, so that no other object (one allocated, or copied by the collector,
 * right before or after it) has a field on their line. The JVM decides the layout, and since JDK 15 it puts
 * a small field of a subclass into the gap after the header, ahead of a superclass's padding: these
 * offsets are what the padding is for, read from the JVM that runs the tests.
 */
class PaddingTests {

    private static final int LINE = 64;

    @Test
    void theSequenceLockAndThePositionAreEachOnALineOfTheirOwn() throws Exception {
        Class<?> position = Class.forName("io.pushgate.core.PushNode$Position");
        assertPadded(position, "locked", "lastSeq", "lastTs", "issued");
        // a publisher waiting for the lock reads its word: it must not take the holder's position line meanwhile
        assertThat(offset(position, "lastSeq") - offset(position, "locked")).isGreaterThanOrEqualTo(LINE);
    }

    @Test
    void theCommitWatermarkIsOnALineOfItsOwn() throws Exception {
        assertPadded(Commits.class, "through");
    }

    @Test
    void aShardsQueueEndIsOnALineOfItsOwn() throws Exception {
        assertPadded(Class.forName("io.pushgate.core.Shard$Tail"), "node");
    }

    @Test
    void aShardsFieldsEndWellBeforeTheNextObject() throws Exception {
        // its lock's fields come first, right after the header: only the end can be padded
        Class<?> shard = Class.forName("io.pushgate.core.Shard");
        for (String field : List.of("lastSeq", "lastTs", "waiting", "draining", "head", "tail")) {
            assertThat(end(shard) - (offset(shard, field) + size(shard, field))).as(field).isGreaterThanOrEqualTo(LINE);
        }
    }

    private static void assertPadded(Class<?> type, String... fields) throws Exception {
        long end = end(type);
        for (String field : fields) {
            long offset = offset(type, field);
            assertThat(offset).as("%s.%s: bytes ahead of it in the object", type.getSimpleName(), field)
                    .isGreaterThanOrEqualTo(LINE);
            assertThat(end - (offset + size(type, field))).as("%s.%s: bytes after it in the object", type.getSimpleName(), field)
                    .isGreaterThanOrEqualTo(LINE);
        }
    }

    /** Where the object's last field ends. */
    private static long end(Class<?> type) throws Exception {
        long end = 0;
        for (Field f : instanceFields(type)) {
            end = Math.max(end, unsafe().objectFieldOffset(f) + size(f.getType()));
        }
        return end;
    }

    private static long offset(Class<?> type, String name) throws Exception {
        return unsafe().objectFieldOffset(field(type, name));
    }

    private static int size(Class<?> type, String name) throws Exception {
        return size(field(type, name).getType());
    }

    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
        for (Field f : instanceFields(type)) {
            if (f.getName().equals(name)) {
                return f;
            }
        }
        throw new NoSuchFieldException(type.getName() + "." + name);
    }

    private static List<Field> instanceFields(Class<?> type) {
        List<Field> fields = new ArrayList<>();
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers())) {
                    fields.add(f);
                }
            }
        }
        return fields;
    }

    /** Bytes a field of this type takes; references are compressed (4) on heaps below 32 GB, as here. */
    private static int size(Class<?> type) {
        if (type == long.class || type == double.class) {
            return 8;
        }
        if (type == int.class || type == float.class) {
            return 4;
        }
        if (type == short.class || type == char.class) {
            return 2;
        }
        if (type == byte.class || type == boolean.class) {
            return 1;
        }
        return 4;
    }

    private static sun.misc.Unsafe unsafe() throws Exception {
        Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        return (sun.misc.Unsafe) f.get(null);
    }
}
