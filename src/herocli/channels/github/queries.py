"""The GraphQL the channel sends (the simulator answers exactly these operations)."""

from __future__ import annotations

_COMMENT_FIELDS = """
      databaseId
      body
      url
      createdAt
      updatedAt
      lastEditedAt
      author { login __typename }
      authorAssociation
"""

OPEN_ISSUES = (
    """
query HeroOpenIssues($owner: String!, $name: String!, $first: Int!, $commentsFirst: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    issues(states: OPEN, first: $first, after: $after, orderBy: {field: CREATED_AT, direction: ASC}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        databaseId
        number
        title
        body
        url
        state
        closedAt
        createdAt
        updatedAt
        lastEditedAt
        author { login __typename }
        authorAssociation
        labels(first: 100) { nodes { name } }
        assignees(first: 20) { nodes { login } }
        comments(first: $commentsFirst) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes {"""
    + _COMMENT_FIELDS
    + """          }
        }
      }
    }
  }
  rateLimit { cost remaining resetAt }
}
"""
)

ISSUE_COMMENTS = (
    """
query HeroIssueComments($owner: String!, $name: String!, $number: Int!, $first: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    issue(number: $number) {
      comments(first: $first, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes {"""
    + _COMMENT_FIELDS
    + """        }
      }
    }
  }
  rateLimit { cost remaining resetAt }
}
"""
)

OPEN_NUMBERS = """
query HeroOpenNumbers($owner: String!, $name: String!, $first: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    issues(states: OPEN, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { number labels(first: 100) { nodes { name } } }
    }
  }
  rateLimit { cost remaining resetAt }
}
"""
