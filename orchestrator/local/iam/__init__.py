"""Identity and access management on the local runtime: principals from the template, and every call evaluated as AWS does."""  # noqa: E501
