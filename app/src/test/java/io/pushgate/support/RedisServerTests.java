package io.pushgate.support;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RedisServerTests {

    @Test
    void storesAndAnswersAndLosesEverythingOnARestartOnTheSamePort() {
        try (RedisServer redis = RedisServer.start()) {
            int port = redis.port();
            assertThat(redis.command("PING")).isEqualTo("PONG");
            assertThat(redis.command("SET", "k", "v")).isEqualTo("OK");
            assertThat(redis.command("GET", "k")).isEqualTo("v");
            assertThat(redis.command("DBSIZE")).isEqualTo("1");

            redis.restart();

            assertThat(redis.port()).isEqualTo(port);
            assertThat(redis.command("PING")).isEqualTo("PONG");
            assertThat(redis.command("GET", "k")).as("data lost: persistence is off").isNull();
            assertThat(redis.command("DBSIZE")).isEqualTo("0");
        }
    }

    @Test
    void answersArraysRawAndErrorsAsExceptions() {
        try (RedisServer redis = RedisServer.start()) {
            redis.command("RPUSH", "list", "a", "bé");
            assertThat(redis.command("LRANGE", "list", "0", "-1")).isEqualTo("*2\r\n$1\r\na\r\n$3\r\nbé\r\n");
            assertThatThrownBy(() -> redis.command("NOSUCHCOMMAND")).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("ERR");
        }
    }

    @Test
    void isUnreachableOnceStopped() {
        RedisServer redis = RedisServer.start();
        redis.stop();
        redis.stop(); // idempotent
        assertThatThrownBy(() -> redis.command("PING")).isInstanceOf(IllegalStateException.class);
    }
}
