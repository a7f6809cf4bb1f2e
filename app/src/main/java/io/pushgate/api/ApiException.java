package io.pushgate.api;

import io.pushgate.web.Problem;
import io.pushgate.web.ProblemException;

/** Ends an API call with the given problem. */
final class ApiException extends ProblemException {

    ApiException(Problem problem) {
        super(problem);
    }

    static ApiException badRequest(String detail) {
        return new ApiException(Problem.badRequest(detail));
    }
}
