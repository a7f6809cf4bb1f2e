package io.pushgate.api;

import io.pushgate.api.problem.Problem;
import io.pushgate.api.problem.ProblemException;

/** Ends an API call with the given problem. */
final class ApiException extends ProblemException {

    ApiException(Problem problem) {
        super(problem);
    }

    static ApiException badRequest(String detail) {
        return new ApiException(Problem.badRequest(detail));
    }
}
