package io.pushgate.api.problem;

/** Ends a request with the given problem; rendered by {@link ProblemErrors}. */
public class ProblemException extends RuntimeException {

    private final Problem problem;

    public ProblemException(Problem problem) {
        super(problem.detail(), null, false, false);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }
}
