package io.pushgate.api;

import io.pushgate.web.Problem;

/** Ends an API call with the given problem. */
final class ApiException extends RuntimeException {

    final Problem problem;

    ApiException(Problem problem) {
        super(problem.detail(), null, false, false);
        this.problem = problem;
    }

    static ApiException badRequest(String detail) {
        return new ApiException(Problem.badRequest(detail));
    }
}
