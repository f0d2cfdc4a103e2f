"""Amazon Bedrock ConverseStream."""
